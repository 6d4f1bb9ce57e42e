// What the HLS passes refuse, and how they say it.
// RUN: not tern-opt %s --tern-hls-interfaces=top=layer 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not tern-opt %s --tern-hls-interfaces=top=board 2>&1 | FileCheck %s --check-prefix=BADTOP
// RUN: not tern-opt %s --tern-hls-extract-layer=layer=model.layers.9.attn.o_proj 2>&1 | FileCheck %s --check-prefix=NONAME
// RUN: not tern-opt %s --tern-hls-dataflow 2>&1 | FileCheck %s --check-prefix=NOTOP
// RUN: not tern-opt %s --tern-hls-interfaces --tern-hls-dataflow 2>&1 | FileCheck %s --check-prefix=BITLINEAR
// RUN: not tern-opt %s --tern-hls-directives="lanes=0" 2>&1 | FileCheck %s --check-prefix=LANES

// NOLAYER: error: tern-hls-interfaces: top=layer needs a function @tern_layer (run tern-hls-extract-layer first)
// BADTOP: error: tern-hls-interfaces: top must be 'model' or 'layer', got 'board'
// NONAME: error: tern-hls-extract-layer: no BitLinear with weight 'model.layers.9.attn.o_proj' (weights: none)
// NOTOP: error: tern-hls-dataflow: no function has hls.top (run tern-hls-interfaces first)
// BITLINEAR: error: tern-hls-dataflow: no HLS stage implements 'tern.bitlinear' (the HLS backend takes IR after the pack stage)
// LANES: error: tern-hls-directives: lanes and float-add-latency must be >= 1
func.func @tern_prefill(%ids: tensor<?xi32>, %state: tensor<1x8xf32>) -> (tensor<?x4xf32>, tensor<1x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x8xf32>
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %table = arith.constant dense<1.0> : tensor<4x8xf32>
  %h = tern.embedding %table[%ids] : tensor<4x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  %y = tern.bitlinear %h, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<?x4xf32>
  return %y, %state : tensor<?x4xf32>, tensor<1x8xf32>
}
