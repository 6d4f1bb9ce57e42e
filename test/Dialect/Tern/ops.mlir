// RUN: tern-opt %s | FileCheck %s
// Round trip: every op prints what it parses, and the output parses again.
// RUN: tern-opt %s | tern-opt | FileCheck %s

// CHECK-LABEL: func.func @graph_ops
func.func @graph_ops(%table: tensor<100x8xbf16>, %ids: tensor<?xi32>, %w: tensor<8xf32>,
                     %lw: tensor<16x8xbf16>, %raw: tensor<2x8xf32>, %lb: tensor<8xf32>,
                     %h0: tensor<8xf32>, %gu: tensor<?x32xf32>) -> tensor<?x16xf32> {
  // CHECK: %[[E:.*]] = tern.embedding %{{.*}}[%{{.*}}] : tensor<100x8xbf16>, tensor<?xi32> -> tensor<?x8xf32>
  %e = tern.embedding %table[%ids] : tensor<100x8xbf16>, tensor<?xi32> -> tensor<?x8xf32>
  // CHECK: tern.rms_norm %[[E]], %{{.*}} eps(9.99999997E-7) : tensor<?x8xf32>, tensor<8xf32>
  %n = tern.rms_norm %e, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  // CHECK: tern.bitlinear %{{.*}}, %{{.*}}, %{{.*}} eps(9.99999997E-7) : tensor<?x8xf32>, tensor<16x8xbf16>, tensor<8xf32> -> tensor<?x16xf32>
  %p = tern.bitlinear %n, %lw, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<16x8xbf16>, tensor<8xf32> -> tensor<?x16xf32>
  // CHECK: tern.lower_bounds %{{.*}} : tensor<2x8xf32>
  %bounds = tern.lower_bounds %raw : tensor<2x8xf32>
  // CHECK: tern.forget_gate %[[E]] : tensor<?x8xf32>
  %f0 = tern.forget_gate %e : tensor<?x8xf32>
  // CHECK: tern.forget_gate %[[E]] lower_bound %{{.*}} : tensor<?x8xf32>, tensor<8xf32>
  %f = tern.forget_gate %e lower_bound %lb : tensor<?x8xf32>, tensor<8xf32>
  // CHECK: %{{.*}}, %{{.*}} = tern.mlgru %[[E]], %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8xf32>
  %h, %hT = tern.mlgru %e, %f, %h0 : tensor<?x8xf32>, tensor<8xf32>
  // CHECK: tern.mlgru_step %[[E]], %{{.*}}, %{{.*}} : tensor<?x8xf32>
  %hb = tern.mlgru_step %e, %f, %h : tensor<?x8xf32>
  // CHECK: tern.swish_gate_norm %{{.*}}, %{{.*}}, %{{.*}} eps(9.99999997E-7) : tensor<?x8xf32>, tensor<8xf32>
  %o = tern.swish_gate_norm %n, %h, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  // CHECK: tern.glu %{{.*}} : tensor<?x32xf32> -> tensor<?x16xf32>
  %g = tern.glu %gu : tensor<?x32xf32> -> tensor<?x16xf32>
  return %p : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @matmul_free_ops
func.func @matmul_free_ops(%y: tensor<?x3xf32>) -> tensor<?x2xf32> {
  // CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.500000e+00) : !tern.trits<2x3, none>
  %w = tern.ternary_constant dense<[[1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.5) : !tern.trits<2x3, none>
  // CHECK: tern.ternary_constant dense<{{\[\[}}70], [105]]> : tensor<2x1xi8> scale(2.500000e+00) : !tern.trits<2x3, two_bit>
  %p = tern.ternary_constant dense<[[70], [105]]> : tensor<2x1xi8> scale(2.5) : !tern.trits<2x3, two_bit>
  // CHECK: tern.ternary_constant dense<{{\[\[}}113], [-123]]> : tensor<2x1xi8> scale(2.500000e+00) : !tern.trits<2x3, base3>
  %b = tern.ternary_constant dense<[[113], [-123]]> : tensor<2x1xi8> scale(2.5) : !tern.trits<2x3, base3>
  // base3_tiled: rows rounded up to 16, 4 bytes per row and 20-column tile.
  // CHECK: tern.ternary_constant dense<121> : tensor<16x8xi8> scale(2.500000e+00) : !tern.trits<2x21, base3_tiled>
  %bt = tern.ternary_constant dense<121> : tensor<16x8xi8> scale(2.5) : !tern.trits<2x21, base3_tiled>
  // CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize %{{.*}} : tensor<?x3xf32> -> tensor<?x3xi8>, tensor<?xf32>
  %q, %s = tern.quantize %y : tensor<?x3xf32> -> tensor<?x3xi8>, tensor<?xf32>
  // CHECK: %[[A:.*]] = tern.ternary_accumulate %[[Q]], %[[W]] : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x2xi32>
  %acc = tern.ternary_accumulate %q, %w : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x2xi32>
  // CHECK: tern.dequantize %[[A]], %[[S]] weight_scale(2.500000e+00) : tensor<?x2xi32>, tensor<?xf32> -> tensor<?x2xf32>
  %out = tern.dequantize %acc, %s weight_scale(2.5) : tensor<?x2xi32>, tensor<?xf32> -> tensor<?x2xf32>
  // CHECK: tern.bitlinear %{{.*}}, %[[W]], %{{.*}} eps
  %g = arith.constant dense<1.0> : tensor<3xf32>
  %bl = tern.bitlinear %y, %w, %g eps(1.0e-06) : tensor<?x3xf32>, !tern.trits<2x3, none>, tensor<3xf32> -> tensor<?x2xf32>
  return %out : tensor<?x2xf32>
}

// The accumulate on any integer or float input, with a scale: the form tern-eliminate-matmul
// gives linalg matmuls against ternary constants.
// CHECK-LABEL: func.func @scaled_accumulates
func.func @scaled_accumulates(%x: tensor<?x3xf32>, %h: tensor<2x3xbf16>, %i: tensor<4x3xi8>)
    -> (tensor<?x2xf32>, tensor<2x2xf32>, tensor<4x2xi32>) {
  %w = tern.ternary_constant dense<[[1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.5) : !tern.trits<2x3, none>
  // CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} scale(5.000000e-01 : f32) : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf32>
  %a = tern.ternary_accumulate %x, %w scale(0.5 : f32) : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf32>
  // CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} : tensor<2x3xbf16>, !tern.trits<2x3, none> -> tensor<2x2xf32>
  %b = tern.ternary_accumulate %h, %w : tensor<2x3xbf16>, !tern.trits<2x3, none> -> tensor<2x2xf32>
  // CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} scale(3 : i32) : tensor<4x3xi8>, !tern.trits<2x3, none> -> tensor<4x2xi32>
  %c = tern.ternary_accumulate %i, %w scale(3 : i32) : tensor<4x3xi8>, !tern.trits<2x3, none> -> tensor<4x2xi32>
  return %a, %b, %c : tensor<?x2xf32>, tensor<2x2xf32>, tensor<4x2xi32>
}
