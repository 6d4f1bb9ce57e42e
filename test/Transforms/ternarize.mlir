// RUN: tern-opt %s -tern-ternarize -split-input-file -verify-diagnostics | FileCheck %s

// mean|W| = 8.2 / 8 = 1.025, s_w = 1/1.025; W * s_w rounded and clamped.
// CHECK-LABEL: func.func @absmean
// CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, -1, 0, 0], [1, 0, 1, -1]]> : tensor<2x4xi8> scale(0.975609779) : !tern.trits<2x4, none>
// CHECK: tern.bitlinear %{{.*}}, %[[W]], %{{.*}} eps
// CHECK-NOT: arith.constant dense<{{.*}}> : tensor<2x4xf32>
func.func @absmean(%x: tensor<?x4xf32>, %g: tensor<4xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.2, 0.0], [0.6, -0.4, 3.0, -1.0]]> : tensor<2x4xf32>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x4xf32>, tensor<2x4xf32>, tensor<4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----
// Ties round to even: 0.5 -> 0, -0.5 -> 0, 1.5 -> 2 -> clamped to 1.
// CHECK-LABEL: func.func @half_to_even
// CHECK: tern.ternary_constant dense<{{\[\[}}0, 0, 1, -1]]> : tensor<1x4xi8> scale(1.000000e+00)
func.func @half_to_even(%x: tensor<?x4xf32>, %g: tensor<4xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[0.5, -0.5, 1.5, -1.5]]> : tensor<1x4xbf16>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x4xf32>, tensor<1x4xbf16>, tensor<4xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----
// An all-zero weight takes the 1e-5 floor: s_w = 1e5.
// CHECK-LABEL: func.func @zero_weight
// CHECK: tern.ternary_constant dense<0> : tensor<1x2xi8> scale(1.000000e+05)
func.func @zero_weight(%x: tensor<?x2xf32>, %g: tensor<2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<0.0> : tensor<1x2xf16>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<1x2xf16>, tensor<2xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----
// A weight used twice is ternarised once.
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-1: tern.ternary_constant
// CHECK-NOT: tern.ternary_constant
func.func @shared(%x: tensor<?x2xf32>, %g: tensor<2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -1.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %z = tern.bitlinear %y, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// -----
// A weight that is not a constant is left alone, with a remark.
// CHECK-LABEL: func.func @runtime_weight
// CHECK: tern.bitlinear %{{.*}}, %{{.*}}, %{{.*}} eps{{.*}} tensor<2x2xf32>
func.func @runtime_weight(%x: tensor<?x2xf32>, %w: tensor<2x2xf32>, %g: tensor<2xf32>) -> tensor<?x2xf32> {
  // expected-remark @+1 {{weight is not a constant; left for run-time ternarisation}}
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
