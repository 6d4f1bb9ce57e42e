func.func @bitlinear_weight_rank(%x: tensor<?x8xf32>, %w: tensor<8xf32>, %g: tensor<8xf32>) {
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<?x4xf32>
  return
}
