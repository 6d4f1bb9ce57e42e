func.func @ternary_constant_shape() {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, two_bit>
  return
}
