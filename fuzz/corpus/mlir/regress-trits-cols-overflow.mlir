func.func @f() -> !tern.trits<1x9223372036854775807, base3> {
  %w = tern.ternary_constant dense<0> : tensor<1x1xi8> scale(2.5) : !tern.trits<1x9223372036854775807, base3>
  return %w : !tern.trits<1x9223372036854775807, base3>
}
