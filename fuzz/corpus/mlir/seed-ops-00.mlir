func.func @graph_ops(%table: tensor<100x8xbf16>, %ids: tensor<?xi32>, %w: tensor<8xf32>,
                     %lw: tensor<16x8xbf16>, %raw: tensor<2x8xf32>, %lb: tensor<8xf32>,
                     %h0: tensor<8xf32>, %gu: tensor<?x32xf32>) -> tensor<?x16xf32> {
  %e = tern.embedding %table[%ids] : tensor<100x8xbf16>, tensor<?xi32> -> tensor<?x8xf32>
  %n = tern.rms_norm %e, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %p = tern.bitlinear %n, %lw, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<16x8xbf16>, tensor<8xf32> -> tensor<?x16xf32>
  %bounds = tern.lower_bounds %raw : tensor<2x8xf32>
  %f0 = tern.forget_gate %e : tensor<?x8xf32>
  %f = tern.forget_gate %e lower_bound %lb : tensor<?x8xf32>, tensor<8xf32>
  %h, %hT = tern.mlgru %e, %f, %h0 : tensor<?x8xf32>, tensor<8xf32>
  %o = tern.swish_gate_norm %n, %h, %w eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %g = tern.glu %gu : tensor<?x32xf32> -> tensor<?x16xf32>
  return %p : tensor<?x16xf32>
}

func.func @matmul_free_ops(%y: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w = tern.ternary_constant dense<[[1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8> scale(2.5) : !tern.trits<2x3, none>
  %p = tern.ternary_constant dense<[[70], [105]]> : tensor<2x1xi8> scale(2.5) : !tern.trits<2x3, two_bit>
  %b = tern.ternary_constant dense<[[113], [-123]]> : tensor<2x1xi8> scale(2.5) : !tern.trits<2x3, base3>
  %q, %s = tern.quantize %y : tensor<?x3xf32> -> tensor<?x3xi8>, tensor<?xf32>
  %acc = tern.ternary_accumulate %q, %w : tensor<?x3xi8>, !tern.trits<2x3, none> -> tensor<?x2xi32>
  %out = tern.dequantize %acc, %s weight_scale(2.5) : tensor<?x2xi32>, tensor<?xf32> -> tensor<?x2xf32>
  %g = arith.constant dense<1.0> : tensor<3xf32>
  %bl = tern.bitlinear %y, %w, %g eps(1.0e-06) : tensor<?x3xf32>, !tern.trits<2x3, none>, tensor<3xf32> -> tensor<?x2xf32>
  return %out : tensor<?x2xf32>
}
