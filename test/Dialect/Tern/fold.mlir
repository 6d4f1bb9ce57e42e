// RUN: tern-opt %s -canonicalize | FileCheck %s

// softmax over two equal layers is [0.5, 0.5]; cumsum [0.5, 1.0] minus the
// first row gives [0, 0.5]: layer 0 has no lower bound.
// CHECK-LABEL: func.func @lower_bounds_fold
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00], [5.000000e-01, 5.000000e-01]]> : tensor<2x2xf32>
// CHECK-NOT: tern.lower_bounds
// CHECK: return %[[C]]
func.func @lower_bounds_fold() -> tensor<2x2xf32> {
  %raw = arith.constant dense<[[0.0, 3.0], [0.0, 3.0]]> : tensor<2x2xf32>
  %lb = tern.lower_bounds %raw : tensor<2x2xf32>
  return %lb : tensor<2x2xf32>
}

// A non-constant input does not fold.
// CHECK-LABEL: func.func @lower_bounds_dynamic
// CHECK: tern.lower_bounds
func.func @lower_bounds_dynamic(%raw: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %lb = tern.lower_bounds %raw : tensor<2x2xf32>
  return %lb : tensor<2x2xf32>
}
