func.func @bitlinear(%x: tensor<?x3xf32>, %g: tensor<3xf32>) -> tensor<?x2xf32> {
  %w = tern.ternary_constant dense<[[1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.5) : !tern.trits<2x3, none>
  %y = tern.bitlinear %x, %w, %g eps(1.0e-06) : tensor<?x3xf32>, !tern.trits<2x3, none>, tensor<3xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
