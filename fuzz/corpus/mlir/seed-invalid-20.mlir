func.func @glu_odd(%x: tensor<?x7xf32>) {
  %y = tern.glu %x : tensor<?x7xf32> -> tensor<?x3xf32>
  return
}
