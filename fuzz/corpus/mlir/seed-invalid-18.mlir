func.func @swish_gate_norm_weight(%g: tensor<?x8xf32>, %w: tensor<6xf32>) {
  %y = tern.swish_gate_norm %g, %g, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<6xf32>
  return
}
