func.func @shared(%x: tensor<?x2xf32>, %g: tensor<2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, -1.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %z = tern.bitlinear %y, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}
