func.func @embedding_table_rank(%t: tensor<8xf32>, %ids: tensor<?xi32>) {
  %e = tern.embedding %t[%ids] : tensor<8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  return
}
