func.func @ternary_constant_scale() {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(0.0) : !tern.trits<2x3, none>
  return
}
