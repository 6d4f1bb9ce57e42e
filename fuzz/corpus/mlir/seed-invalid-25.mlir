func.func @ternary_constant_trit() {
  %w = tern.ternary_constant dense<[[1, 2, 0]]> : tensor<1x3xi8> scale(1.0) : !tern.trits<1x3, none>
  return
}
