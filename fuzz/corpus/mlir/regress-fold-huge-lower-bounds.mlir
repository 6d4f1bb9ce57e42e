func.func @f() -> tensor<100000x100000xf32> {
  %c = arith.constant dense<1.0> : tensor<100000x100000xf32>
  %b = tern.lower_bounds %c : tensor<100000x100000xf32>
  return %b : tensor<100000x100000xf32>
}
