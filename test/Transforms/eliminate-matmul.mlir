// RUN: tern-opt %s -tern-eliminate-matmul -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @bitlinear
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[G:.*]]: tensor<3xf32>)
// CHECK: %[[W:.*]] = tern.ternary_constant
// CHECK: %[[N:.*]] = tern.rms_norm %[[X]], %[[G]] eps(9.99999997E-7) : tensor<?x3xf32>, tensor<3xf32>
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize %[[N]] : tensor<?x3xf32> -> tensor<?x3xi8>, tensor<?xf32>
// CHECK: %[[A:.*]] = tern.ternary_accumulate %[[Q]], %[[W]] : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x2xi32>
// CHECK: %[[D:.*]] = tern.dequantize %[[A]], %[[S]] weight_scale(2.500000e+00) : tensor<?x2xi32>, tensor<?xf32> -> tensor<?x2xf32>
// CHECK: return %[[D]]
// CHECK-NOT: tern.bitlinear
func.func @bitlinear(%x: tensor<?x3xf32>, %g: tensor<3xf32>) -> tensor<?x2xf32> {
  %w = tern.ternary_constant dense<[[1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.5) : !tern.trits<2x3, none>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x3xf32>, !tern.trits<2x3, none>, tensor<3xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----
// A BitLinear whose weight is still float is left alone with a remark.
// CHECK-LABEL: func.func @latent
// CHECK: tern.bitlinear
func.func @latent(%x: tensor<?x2xf32>, %w: tensor<2x2xf32>, %g: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-remark @+1 {{BitLinear left as is: its weight is not ternary yet (run tern-ternarize first)}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
