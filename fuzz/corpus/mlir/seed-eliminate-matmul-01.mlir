func.func @latent(%x: tensor<?x2xf32>, %w: tensor<2x2xf32>, %g: tensor<2xf32>) -> tensor<?x2xf32> {
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
