func.func @ternary_constant_type() {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi32> scale(1.0) : !tern.trits<2x3, none>
  return
}
