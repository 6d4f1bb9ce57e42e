func.func @quantize_scale(%x: tensor<3x8xf32>) {
  %q, %s = tern.quantize %x : tensor<3x8xf32> -> tensor<3x8xi8>, tensor<4xf32>
  return
}
