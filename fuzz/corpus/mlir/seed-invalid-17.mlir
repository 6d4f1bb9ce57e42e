func.func @swish_gate_norm_rank(%g: tensor<8xf32>, %w: tensor<8xf32>) {
  %y = tern.swish_gate_norm %g, %g, %w eps(1.0e-06) : tensor<8xf32>, tensor<8xf32>
  return
}
