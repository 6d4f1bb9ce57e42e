func.func @forget_gate_rank(%x: tensor<8xf32>) {
  %y = tern.forget_gate %x : tensor<8xf32>
  return
}
