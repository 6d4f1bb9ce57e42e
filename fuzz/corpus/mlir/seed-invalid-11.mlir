func.func @lower_bounds_rank(%x: tensor<8xf32>) {
  %y = tern.lower_bounds %x : tensor<8xf32>
  return
}
