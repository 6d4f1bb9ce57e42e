// The HLS passes on a small graph: which attributes each pass sets.
// RUN: tern-opt %s --tern-hls-target --tern-hls-interfaces --tern-hls-dataflow --tern-hls-directives | FileCheck %s
// RUN: tern-opt %s --tern-hls-target="part=xcvu9p-flga2104-2L-e clock-mhz=200" --tern-hls-interfaces="max-tokens=16" --tern-hls-dataflow --tern-hls-directives="lanes=4 float-add-latency=6" | FileCheck %s --check-prefix=OPTIONS
// RUN: tern-opt %s --tern-hls-extract-layer --tern-hls-interfaces=top=layer --tern-hls-dataflow --tern-hls-directives | FileCheck %s --check-prefix=LAYER

// CHECK: module attributes {hls.clock_mhz = 3.000000e+02 : f64, hls.part = "xcu280-fsvh2892-2L-e"}
// OPTIONS: module attributes {hls.clock_mhz = 2.000000e+02 : f64, hls.part = "xcvu9p-flga2104-2L-e"}
// CHECK-LABEL: func.func @tern_prefill
// CHECK-SAME: hls.dataflow
// CHECK-SAME: hls.interface = [{bundle = "gmem0", depth = 4096 : i64, mode = "m_axi", offset = "slave", port = "ids"}, {bundle = "gmem1", depth = 8 : i64, mode = "m_axi", offset = "slave", port = "state"}, {bundle = "gmem2", depth = 16384 : i64, mode = "m_axi", offset = "slave", port = "logits"}, {bundle = "control", mode = "s_axilite", port = "num_tokens"}, {bundle = "control", mode = "s_axilite", port = "return"}]
// CHECK-SAME: hls.loops = {load_state = {pipeline_ii = 1 : i64}, store_state = {pipeline_ii = 1 : i64}, write_logits = {pipeline_ii = 1 : i64}}
// CHECK-SAME: hls.max_tokens = 4096 : i64
// CHECK-SAME: hls.top = "model"
// OPTIONS: hls.max_tokens = 16 : i64
func.func @tern_prefill(%ids: tensor<?xi32>, %state: tensor<1x8xf32>) -> (tensor<?x4xf32>, tensor<1x8xf32>) {
  %table = arith.constant dense<0.5> : tensor<4x8xf32>
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %w = tern.ternary_constant dense<[[0, 1], [2, 3], [4, 5], [6, 7]]> : tensor<4x2xi8> scale(2.0) : !tern.trits<4x8, two_bit>
  %v = tern.ternary_constant dense<1> : tensor<4x2xi8> scale(3.0) : !tern.trits<4x8, two_bit>
  // Read by two BitLinears' norms: one stream per reader, each a whole row deep.
  // CHECK: tern.embedding
  // CHECK-SAME: hls.bind_storage = [{impl = "bram", type = "rom_1p", variable = "table"}]
  // CHECK-SAME: hls.loops = {row = {pipeline_ii = 1 : i64}}
  // CHECK-SAME: hls.stage = "model_embedding", hls.stream_depth = array<i64: 8>
  %h = tern.embedding %table[%ids] : tensor<4x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  // Read once: depth 2.
  // CHECK: tern.rms_norm
  // CHECK-SAME: hls.loops = {normalize = {pipeline_ii = 1 : i64}, sum_squares = {pipeline_ii = 4 : i64}}
  // CHECK-SAME: hls.stage = "model_rms_norm", hls.stream_depth = array<i64: 2>
  // OPTIONS: tern.rms_norm
  // OPTIONS-SAME: sum_squares = {pipeline_ii = 6 : i64}
  %x = tern.rms_norm %h, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  // CHECK: tern.quantize
  // CHECK-SAME: hls.stage = "model_quantize", hls.stream_depth = array<i64: 2, 2>
  %q, %s = tern.quantize %x : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
  // 64 trits per clock asked; a row holds 2 bytes (8 trits), so 2 bytes per clock.
  // |sum| <= 128 * 8 = 1024 needs 12 bits with the sign.
  // CHECK: tern.ternary_accumulate
  // CHECK-SAME: hls.acc_bits = 12 : i64
  // CHECK-SAME: hls.array_partition = [{dim = 2 : i64, factor = 2 : i64, type = "cyclic", variable = "trits"}, {dim = 1 : i64, factor = 2 : i64, type = "cyclic", variable = "q"}, {dim = 2 : i64, type = "complete", variable = "q"}]
  // CHECK-SAME: hls.bind_op = [{impl = "fabric", op = "add", variable = "partial"}, {impl = "fabric", op = "add", variable = "acc"}]
  // CHECK-SAME: hls.bind_storage = [{impl = "bram", type = "rom_1p", variable = "trits"}]
  // CHECK-SAME: hls.bytes_per_cycle = 2 : i64
  // CHECK-SAME: hls.loops = {accumulate = {pipeline_ii = 1 : i64}, lanes = {unroll = 0 : i64}, load = {pipeline_ii = 1 : i64}}
  // CHECK-SAME: hls.stage = "model_accumulate"
  // 4 trits per clock: one byte, no cyclic split.
  // OPTIONS: tern.ternary_accumulate
  // OPTIONS-SAME: hls.array_partition = [{dim = 2 : i64, type = "complete", variable = "q"}]
  // OPTIONS-SAME: hls.bytes_per_cycle = 1 : i64
  %acc = tern.ternary_accumulate %q, %w : tensor<?x8xi8>, !tern.trits<4x8, two_bit> -> tensor<?x4xi32>
  // CHECK: tern.dequantize
  // CHECK-SAME: hls.stage = "model_dequantize", hls.stream_depth = array<i64: 2>
  %y = tern.dequantize %acc, %s weight_scale(2.0) : tensor<?x4xi32>, tensor<?xf32> -> tensor<?x4xf32>
  // CHECK: tern.rms_norm
  // CHECK-SAME: hls.stage = "model_rms_norm_1"
  %x2 = tern.rms_norm %h, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %q2, %s2 = tern.quantize %x2 : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
  %acc2 = tern.ternary_accumulate %q2, %v : tensor<?x8xi8>, !tern.trits<4x8, two_bit> -> tensor<?x4xi32>
  %y2 = tern.dequantize %acc2, %s2 weight_scale(3.0) : tensor<?x4xi32>, tensor<?xf32> -> tensor<?x4xf32>
  // CHECK: arith.addf
  // CHECK-SAME: hls.loops = {add = {pipeline_ii = 1 : i64}}
  // CHECK-SAME: hls.stage = "model_add"
  %sum = arith.addf %y, %y2 : tensor<?x4xf32>
  return %sum, %state : tensor<?x4xf32>, tensor<1x8xf32>
}

// The layer top keeps the first BitLinear alone, between two AXI streams.
// LAYER-LABEL: func.func @tern_layer(%arg0: tensor<?x8xf32>) -> tensor<?x4xf32>
// LAYER-SAME: hls.dataflow
// LAYER-SAME: hls.interface = [{mode = "axis", port = "x"}, {mode = "axis", port = "y"}, {bundle = "control", mode = "s_axilite", port = "return"}]
// LAYER-SAME: hls.top = "layer"
// LAYER: tern.ternary_constant dense<{{\[\[}}0, 1], [2, 3], [4, 5], [6, 7]]>
// LAYER: tern.rms_norm %arg0
// LAYER: tern.quantize
// LAYER: tern.ternary_accumulate
// LAYER: tern.dequantize
// LAYER-SAME: weight_scale(2.000000e+00)
// LAYER-NOT: tern.embedding
// LAYER-NOT: func.func @tern_prefill
