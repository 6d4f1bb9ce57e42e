func.func @mlgru_state(%x: tensor<?x8xf32>, %h: tensor<4xf32>) {
  %a, %b = tern.mlgru %x, %x, %h : tensor<?x8xf32>, tensor<4xf32>
  return
}
