func.func @quantize_rank(%x: tensor<8xf32>) {
  %q, %s = tern.quantize %x : tensor<8xf32> -> tensor<8xi8>, tensor<1xf32>
  return
}
