// A module with two public functions and a private helper, for test/ternc/mlir-*.test.
func.func @project(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[1.0, 0.0, -1.0], [0.0, 1.0, 1.0], [-1.0, -1.0, 0.0], [1.0, 0.0, 0.0]]> : tensor<4x3xf32>
  %z = arith.constant dense<0.0> : tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func private @twice(%x: tensor<?xi32>) -> tensor<?xi32> {
  %y = arith.addi %x, %x : tensor<?xi32>
  return %y : tensor<?xi32>
}

func.func @double(%x: tensor<?xi32>) -> tensor<?xi32> {
  %y = call @twice(%x) : (tensor<?xi32>) -> tensor<?xi32>
  return %y : tensor<?xi32>
}
