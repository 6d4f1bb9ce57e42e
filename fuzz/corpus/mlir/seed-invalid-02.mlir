func.func @embedding_result(%t: tensor<4x8xf32>, %ids: tensor<3xi32>) {
  %e = tern.embedding %t[%ids] : tensor<4x8xf32>, tensor<3xi32> -> tensor<3x9xf32>
  return
}
