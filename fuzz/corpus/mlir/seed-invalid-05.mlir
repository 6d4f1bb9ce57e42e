func.func @rms_norm_weight(%x: tensor<2x8xf32>, %w: tensor<7xf32>) {
  %y = tern.rms_norm %x, %w eps(1.0e-06) : tensor<2x8xf32>, tensor<7xf32>
  return
}
