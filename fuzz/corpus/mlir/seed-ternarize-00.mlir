func.func @absmean(%x: tensor<?x4xf32>, %g: tensor<4xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 0.2, 0.0], [0.6, -0.4, 3.0, -1.0]]> : tensor<2x4xf32>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x4xf32>, tensor<2x4xf32>, tensor<4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
