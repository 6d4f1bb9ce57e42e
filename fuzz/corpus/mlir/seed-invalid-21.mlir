func.func @glu_result(%x: tensor<?x8xf32>) {
  %y = tern.glu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return
}
