func.func @f() -> !tern.trits<2000000000x1, none> {
  %w = tern.ternary_constant dense<0> : tensor<2000000000x1xi8> scale(2.5) : !tern.trits<2000000000x1, none>
  return %w : !tern.trits<2000000000x1, none>
}
