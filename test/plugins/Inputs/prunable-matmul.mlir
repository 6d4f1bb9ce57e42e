// A matmul whose constant is ternary but for two small entries (0.01, 0.02): tern-eliminate-matmul
// leaves it alone until example-prune-weights zeroes them.
func.func @project(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[0.5, 0.01, -0.5], [0.0, 0.5, 0.5], [-0.5, -0.5, 0.02], [0.5, 0.0, 0.0]]> : tensor<4x3xf32>
  %z = arith.constant dense<0.0> : tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
