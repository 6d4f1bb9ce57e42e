func.func @mlgru_rank(%x: tensor<8xf32>, %h: tensor<8xf32>) {
  %a, %b = tern.mlgru %x, %x, %h : tensor<8xf32>, tensor<8xf32>
  return
}
