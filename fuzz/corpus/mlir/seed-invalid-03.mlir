func.func @rms_norm_rank0(%x: tensor<f32>, %w: tensor<8xf32>) {
  %y = tern.rms_norm %x, %w eps(1.0e-06) : tensor<f32>, tensor<8xf32>
  return
}
