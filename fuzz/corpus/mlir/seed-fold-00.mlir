func.func @lower_bounds_fold() -> tensor<2x2xf32> {
  %raw = arith.constant dense<[[0.0, 3.0], [0.0, 3.0]]> : tensor<2x2xf32>
  %lb = tern.lower_bounds %raw : tensor<2x2xf32>
  return %lb : tensor<2x2xf32>
}

func.func @lower_bounds_dynamic(%raw: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %lb = tern.lower_bounds %raw : tensor<2x2xf32>
  return %lb : tensor<2x2xf32>
}
