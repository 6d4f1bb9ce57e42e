func.func @glu_rank(%x: tensor<8xf32>) {
  %y = tern.glu %x : tensor<8xf32> -> tensor<4xf32>
  return
}
