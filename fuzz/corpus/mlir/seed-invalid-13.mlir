func.func @forget_gate_bound(%x: tensor<?x8xf32>, %lb: tensor<4xf32>) {
  %y = tern.forget_gate %x lower_bound %lb : tensor<?x8xf32>, tensor<4xf32>
  return
}
