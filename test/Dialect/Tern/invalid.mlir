// RUN: tern-opt %s -split-input-file -verify-diagnostics
// Every verifier error of the tern dialect, with the message it gives.

func.func @embedding_table_rank(%t: tensor<8xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'tern.embedding' op table must be rank 2 [V, H], got [8]}}
  %e = tern.embedding %t[%ids] : tensor<8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  return
}

// -----
func.func @embedding_ids_rank(%t: tensor<4x8xf32>, %ids: tensor<2x2xi32>) {
  // expected-error @+1 {{'tern.embedding' op ids must be rank 1 [T], got [2, 2]}}
  %e = tern.embedding %t[%ids] : tensor<4x8xf32>, tensor<2x2xi32> -> tensor<?x8xf32>
  return
}

// -----
func.func @embedding_result(%t: tensor<4x8xf32>, %ids: tensor<3xi32>) {
  // expected-error @+1 {{'tern.embedding' op result must have shape [3, 8], got [3, 9]}}
  %e = tern.embedding %t[%ids] : tensor<4x8xf32>, tensor<3xi32> -> tensor<3x9xf32>
  return
}

// -----
func.func @rms_norm_rank0(%x: tensor<f32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tern.rms_norm' op input must have at least one dimension}}
  %y = tern.rms_norm %x, %w eps(1.0e-06) : tensor<f32>, tensor<8xf32>
  return
}

// -----
func.func @rms_norm_eps(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tern.rms_norm' op epsilon must be non-negative}}
  %y = tern.rms_norm %x, %w eps(-1.0) : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----
func.func @rms_norm_weight(%x: tensor<2x8xf32>, %w: tensor<7xf32>) {
  // expected-error @+1 {{'tern.rms_norm' op weight must have shape [8], got [7]}}
  %y = tern.rms_norm %x, %w eps(1.0e-06) : tensor<2x8xf32>, tensor<7xf32>
  return
}

// -----
func.func @bitlinear_input_rank(%x: tensor<8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op input must be rank 2 [T, K], got [8]}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<4xf32>
  return
}

// -----
func.func @bitlinear_weight_rank(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op weight must be rank 2 [N, K], got [8]}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<?x4xf32>
  return
}

// -----
func.func @bitlinear_weight_cols(%x: tensor<?x8xf32>, %w: tensor<4x6xbf16>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op weight must have 8 columns (the input's K), got shape [4, 6]}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<4x6xbf16>, tensor<8xf32> -> tensor<?x4xf32>
  return
}

// -----
func.func @bitlinear_norm(%x: tensor<?x8xf32>, %w: tensor<4x8xbf16>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op norm weight must have shape [8], got [4]}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<4x8xbf16>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----
func.func @bitlinear_result(%x: tensor<?x8xf32>, %w: tensor<4x8xbf16>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tern.bitlinear' op result must have shape [?, 4], got [?, 5]}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<4x8xbf16>, tensor<8xf32> -> tensor<?x5xf32>
  return
}

// -----
func.func @lower_bounds_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.lower_bounds' op input must be rank 2 [L, H], got [8]}}
  %y = tern.lower_bounds %x : tensor<8xf32>
  return
}

// -----
func.func @forget_gate_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.forget_gate' op input must be rank 2 [T, H], got [8]}}
  %y = tern.forget_gate %x : tensor<8xf32>
  return
}

// -----
func.func @forget_gate_bound(%x: tensor<?x8xf32>, %lb: tensor<4xf32>) {
  // expected-error @+1 {{'tern.forget_gate' op lower bound must have shape [8], got [4]}}
  %y = tern.forget_gate %x lower_bound %lb : tensor<?x8xf32>, tensor<4xf32>
  return
}

// -----
func.func @mlgru_rank(%x: tensor<8xf32>, %h: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru' op input must be rank 2 [T, H], got [8]}}
  %a, %b = tern.mlgru %x, %x, %h : tensor<8xf32>, tensor<8xf32>
  return
}

// -----
func.func @mlgru_state(%x: tensor<?x8xf32>, %h: tensor<4xf32>) {
  // expected-error @+1 {{'tern.mlgru' op initial state must have shape [8], got [4]}}
  %a, %b = tern.mlgru %x, %x, %h : tensor<?x8xf32>, tensor<4xf32>
  return
}

// -----
func.func @mlgru_forget_type(%x: tensor<?x8xf32>, %f: tensor<2x8xf32>, %h: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru' op failed to verify that all of {input, forget, hidden} have same type}}
  %a, %b = "tern.mlgru"(%x, %f, %h) : (tensor<?x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> (tensor<?x8xf32>, tensor<8xf32>)
  return
}

// -----
func.func @mlgru_step_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op input must be rank 2 [B, H], got [8]}}
  %h = tern.mlgru_step %x, %x, %x : tensor<8xf32>
  return
}

// -----
func.func @mlgru_step_types(%x: tensor<?x8xf32>, %h: tensor<3x8xf32>) {
  // expected-error @+1 {{'tern.mlgru_step' op failed to verify that all of {input, forget, previous, result} have same type}}
  %h1 = "tern.mlgru_step"(%x, %x, %h) : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<3x8xf32>) -> tensor<?x8xf32>
  return
}

// -----
func.func @swish_gate_norm_rank(%g: tensor<8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'tern.swish_gate_norm' op gate must be rank 2 [T, H], got [8]}}
  %y = tern.swish_gate_norm %g, %g, %w eps(1.0e-06) : tensor<8xf32>, tensor<8xf32>
  return
}

// -----
func.func @swish_gate_norm_weight(%g: tensor<?x8xf32>, %w: tensor<6xf32>) {
  // expected-error @+1 {{'tern.swish_gate_norm' op weight must have shape [8], got [6]}}
  %y = tern.swish_gate_norm %g, %g, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<6xf32>
  return
}

// -----
func.func @glu_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.glu' op input must be rank 2 [T, 2I], got [8]}}
  %y = tern.glu %x : tensor<8xf32> -> tensor<4xf32>
  return
}

// -----
func.func @glu_odd(%x: tensor<?x7xf32>) {
  // expected-error @+1 {{'tern.glu' op input's last dimension must be even (gate and up halves), got 7}}
  %y = tern.glu %x : tensor<?x7xf32> -> tensor<?x3xf32>
  return
}

// -----
func.func @glu_result(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'tern.glu' op result must have shape [?, 4], got [?, 8]}}
  %y = tern.glu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

// -----
func.func @ternary_constant_type() {
  // expected-error @+1 {{'tern.ternary_constant' op value must hold i8 bytes, got element type 'i32'}}
  %w = tern.ternary_constant dense<1> : tensor<2x3xi32> scale(1.0) : !tern.trits<2x3, none>
  return
}

// -----
func.func @ternary_constant_shape() {
  // expected-error @+1 {{'tern.ternary_constant' op value must have shape [2, 1], got [2, 3]}}
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, two_bit>
  return
}

// -----
// base3_tiled stores [ceil(N/16)*16, 4*ceil(K/20)] bytes: 21 columns need two tiles.
func.func @ternary_constant_base3_tiled_shape() {
  // expected-error @+1 {{'tern.ternary_constant' op value must have shape [16, 8], got [16, 4]}}
  %w = tern.ternary_constant dense<121> : tensor<16x4xi8> scale(1.0) : !tern.trits<2x21, base3_tiled>
  return
}

// -----
func.func @ternary_constant_scale() {
  // expected-error @+1 {{'tern.ternary_constant' op scale must be positive, got 0}}
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(0.0) : !tern.trits<2x3, none>
  return
}

// -----
func.func @ternary_constant_trit() {
  // expected-error @+1 {{'tern.ternary_constant' op value with packing none must hold trits in {-1, 0, 1}, found 2}}
  %w = tern.ternary_constant dense<[[1, 2, 0]]> : tensor<1x3xi8> scale(1.0) : !tern.trits<1x3, none>
  return
}

// -----
func.func @quantize_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.quantize' op input must be rank 2 [T, K], got [8]}}
  %q, %s = tern.quantize %x : tensor<8xf32> -> tensor<8xi8>, tensor<1xf32>
  return
}

// -----
func.func @quantize_result(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'tern.quantize' op result must have shape [?, 8], got [?, 4]}}
  %q, %s = tern.quantize %x : tensor<?x8xf32> -> tensor<?x4xi8>, tensor<?xf32>
  return
}

// -----
func.func @quantize_scale(%x: tensor<3x8xf32>) {
  // expected-error @+1 {{'tern.quantize' op scale must have shape [3], got [4]}}
  %q, %s = tern.quantize %x : tensor<3x8xf32> -> tensor<3x8xi8>, tensor<4xf32>
  return
}

// -----
func.func @accumulate_rank(%q: tensor<3xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op input must be rank 2 [T, K], got [3]}}
  %a = tern.ternary_accumulate %q, %w : tensor<3xi8>, !tern.trits<2x3, none> -> tensor<2xi32>
  return
}

// -----
func.func @accumulate_cols(%q: tensor<?x4xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op weight must have 4 columns (the input's K), got '!tern.trits<2x3, none>'}}
  %a = tern.ternary_accumulate %q, %w : tensor<?x4xi8>, !tern.trits<2x3, none> -> tensor<?x2xi32>
  return
}

// -----
func.func @accumulate_result(%q: tensor<?x3xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op result must have shape [?, 2], got [?, 3]}}
  %a = tern.ternary_accumulate %q, %w : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x3xi32>
  return
}

// -----
func.func @accumulate_kinds(%q: tensor<?x3xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op result element type must be 'i8' or a wider type of the same kind (integer or float), got 'f32'}}
  %a = tern.ternary_accumulate %q, %w : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x2xf32>
  return
}

// -----
func.func @accumulate_narrows(%x: tensor<?x3xf32>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op result element type must be 'f32' or a wider type of the same kind (integer or float), got 'f16'}}
  %a = tern.ternary_accumulate %x, %w : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf16>
  return
}

// -----
func.func @accumulate_scale_type(%x: tensor<?x3xf32>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  // expected-error @+1 {{'tern.ternary_accumulate' op scale must have the result's element type 'f32', got 'f64'}}
  %a = tern.ternary_accumulate %x, %w scale(2.0 : f64) : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf32>
  return
}

// -----
func.func @dequantize_rank(%a: tensor<3xi32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op input must be rank 2 [T, N], got [3]}}
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<3xi32>, tensor<1xf32> -> tensor<3xf32>
  return
}

// -----
func.func @dequantize_weight_scale(%a: tensor<?x3xi32>, %s: tensor<?xf32>) {
  // expected-error @+1 {{'tern.dequantize' op weight_scale must be positive, got -1}}
  %y = tern.dequantize %a, %s weight_scale(-1.0) : tensor<?x3xi32>, tensor<?xf32> -> tensor<?x3xf32>
  return
}

// -----
func.func @dequantize_scale(%a: tensor<2x3xi32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'tern.dequantize' op scale must have shape [2], got [3]}}
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<2x3xi32>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----
func.func @dequantize_result(%a: tensor<2x3xi32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{'tern.dequantize' op result must have shape [2, 3], got [2, 4]}}
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<2x3xi32>, tensor<2xf32> -> tensor<2x4xf32>
  return
}

// -----
// expected-error @+1 {{trits shape must be positive, got 0x3}}
func.func @trits_empty(%w: !tern.trits<0x3, none>)

// -----
// expected-error @+1 {{unknown packing 'nibble' (expected none, two_bit, base3, two_bit_tiled or base3_tiled)}}
func.func @trits_packing(%w: !tern.trits<2x3, nibble>)

// -----
// expected-error @+1 {{expected a 2-D shape ROWSxCOLS, got 3 dimensions}}
func.func @trits_rank(%w: !tern.trits<2x3x4, none>)
