func.func @dequantize_rank(%a: tensor<3xi32>, %s: tensor<1xf32>) {
  %y = tern.dequantize %a, %s weight_scale(1.0) : tensor<3xi32>, tensor<1xf32> -> tensor<3xf32>
  return
}
