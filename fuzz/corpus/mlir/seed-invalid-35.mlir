func.func @dequantize_result(%a: tensor<2x3xi32>, %s: tensor<2xf32>) {
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<2x3xi32>, tensor<2xf32> -> tensor<2x4xf32>
  return
}
