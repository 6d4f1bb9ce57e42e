func.func @bitlinear_input_rank(%x: tensor<8xf32>, %w: tensor<4x8xf32>, %g: tensor<8xf32>) {
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<4xf32>
  return
}
