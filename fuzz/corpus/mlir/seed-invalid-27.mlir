func.func @quantize_result(%x: tensor<?x8xf32>) {
  %q, %s = tern.quantize %x : tensor<?x8xf32> -> tensor<?x4xi8>, tensor<?xf32>
  return
}
