func.func @pack(%q: tensor<?x4xi8>) -> tensor<?x2xi32> {
  %w = tern.ternary_constant dense<[[1, -1, 0, 0], [1, 0, 1, -1]]> : tensor<2x4xi8> scale(1.5) : !tern.trits<2x4, none>
  %a = tern.ternary_accumulate %q, %w : tensor<?x4xi8>, !tern.trits<2x4, none> -> tensor<?x2xi32>
  return %a : tensor<?x2xi32>
}
