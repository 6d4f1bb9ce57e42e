func.func @accumulate_result(%q: tensor<?x3xi8>) {
  %w = tern.ternary_constant dense<1> : tensor<2x3xi8> scale(1.0) : !tern.trits<2x3, none>
  %a = tern.ternary_accumulate %q, %w : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x3xi32>
  return
}
