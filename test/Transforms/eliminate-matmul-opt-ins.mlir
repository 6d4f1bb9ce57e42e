// The opt-ins of tern-eliminate-matmul that trade exactness: each says per op what it cost.
// RUN: tern-opt %s -split-input-file -verify-diagnostics \
// RUN:   -tern-eliminate-matmul="ternarize-float-weights=true quantize-activations=true" | FileCheck %s
// Without the options the same ops stay exact or alone (remarks checked in eliminate-matmul-linalg.mlir).
// RUN: tern-opt %s -split-input-file -tern-eliminate-matmul 2>/dev/null | FileCheck %s --check-prefix=EXACT

// quantize-activations: f32 activations go through tern.quantize (int8 per row), the trits
// accumulate in i32, tern.dequantize scales back with s_x and s_w = 1/s.
// CHECK-LABEL: func.func @quantized
// CHECK: %[[W:.*]] = tern.ternary_constant {{.*}} scale(2.000000e+00) : !tern.trits<4x8, none>
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize %{{.*}} : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
// CHECK: %[[A:.*]] = tern.ternary_accumulate %[[Q]], %[[W]] : tensor<?x8xi8>, !tern.trits<4x8, none> -> tensor<?x4xi32>
// CHECK: tern.dequantize %[[A]], %[[S]] weight_scale(2.000000e+00) : tensor<?x4xi32>, tensor<?xf32> -> tensor<?x4xf32>
// EXACT-LABEL: func.func @quantized
// EXACT-NOT: tern.quantize
// EXACT: tern.ternary_accumulate %{{.*}}, %{{.*}} scale(5.000000e-01 : f32) : tensor<?x8xf32>
func.func @quantized(%x: tensor<?x8xf32>, %c: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.5, 0.5, 0.0], [-0.5, -0.5, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5],
                             [0.0, 0.0, 0.5, -0.5], [0.5, 0.5, 0.5, 0.5], [-0.5, 0.0, 0.0, 0.0], [0.0, -0.5, 0.5, 0.0]]> : tensor<8x4xf32>
  // expected-remark @+1 {{quantize-activations: int8 absmax activations, relative error 0.00471 on 16 random rows}}
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x4xf32>) outs(%c : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----
// ternarize-float-weights: a float constant that is not ternary is ternarized with absmean
// (s_w = 1 / mean|W| = 2 here, t = round(W * s_w) clamped to [-1, 1]); the accumulate
// multiplies by 1 / s_w. With both options, each reports its own error.
// CHECK-LABEL: func.func @ternarized
// CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0], [1, -1]]> : tensor<2x2xi8> scale(2.000000e+00) : !tern.trits<2x2, none>
// CHECK: tern.quantize
// CHECK: tern.ternary_accumulate %{{.*}}, %[[W]] : tensor<3x2xi8>
// CHECK: tern.dequantize {{.*}} weight_scale(2.000000e+00)
// EXACT-LABEL: func.func @ternarized
// EXACT: linalg.matmul
func.func @ternarized(%x: tensor<3x2xf32>, %c: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.5, 1.0], [0.125, -0.375]]> : tensor<2x2xf32>
  // expected-remark @+2 {{ternarize-float-weights: weight ternarized with absmean (s_w = 2), relative error 0.412 on 16 random rows}}
  // expected-remark @+1 {{quantize-activations: int8 absmax activations, relative error 0.00228 on 16 random rows}}
  %y = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%c : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----
// quantize-activations needs f32 activations and result: integers keep the exact form.
// CHECK-LABEL: func.func @integers
// CHECK-NOT: tern.quantize
// CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} : tensor<2x2xi8>, !tern.trits<2x2, none> -> tensor<2x2xi32>
func.func @integers(%x: tensor<2x2xi8>) -> tensor<2x2xi32> {
  %w = arith.constant dense<[[1, 0], [0, -1]]> : tensor<2x2xi8>
  %z = arith.constant dense<0> : tensor<2x2xi32>
  // expected-remark @+1 {{quantize-activations not applied: it needs f32 activations and an f32 result; kept the exact ternary form}}
  %y = linalg.matmul ins(%x, %w : tensor<2x2xi8>, tensor<2x2xi8>) outs(%z : tensor<2x2xi32>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}
