func.func @mlgru_forget_type(%x: tensor<?x8xf32>, %f: tensor<2x8xf32>, %h: tensor<8xf32>) {
  %a, %b = "tern.mlgru"(%x, %f, %h) : (tensor<?x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> (tensor<?x8xf32>, tensor<8xf32>)
  return
}
