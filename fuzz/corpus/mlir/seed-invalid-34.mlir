func.func @dequantize_scale(%a: tensor<2x3xi32>, %s: tensor<3xf32>) {
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<2x3xi32>, tensor<3xf32> -> tensor<2x3xf32>
  return
}
