func.func @accumulate_rank(%q: tensor<3xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  %a = tern.ternary_accumulate %q, %w : tensor<3xi8>, !tern.trits<2x3, none> -> tensor<2xi32>
  return
}
