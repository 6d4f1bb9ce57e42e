func.func @rms_norm_eps(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  %y = tern.rms_norm %x, %w eps(-1.0) : tensor<2x8xf32>, tensor<8xf32>
  return
}
