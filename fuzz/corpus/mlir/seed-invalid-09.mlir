func.func @bitlinear_norm(%x: tensor<?x8xf32>, %w: tensor<4x8xbf16>, %g: tensor<4xf32>) {
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<4x8xbf16>, tensor<4xf32> -> tensor<?x4xf32>
  return
}
