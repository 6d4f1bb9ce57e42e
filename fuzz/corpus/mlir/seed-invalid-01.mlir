func.func @embedding_ids_rank(%t: tensor<4x8xf32>, %ids: tensor<2x2xi32>) {
  %e = tern.embedding %t[%ids] : tensor<4x8xf32>, tensor<2x2xi32> -> tensor<?x8xf32>
  return
}
