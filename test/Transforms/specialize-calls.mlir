// RUN: tern-opt %s --tern-specialize-calls --canonicalize --split-input-file --verify-diagnostics | FileCheck %s

// The decode step's call of the prefill, inlined with the token count 1: every
// `?` of the body becomes 1, the casts around the call fold away, and the
// callee stays for its other callers.
// CHECK-LABEL: func.func @prefill(%{{.*}}: tensor<?xi32>
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:    %[[IDS:.*]]: tensor<1xi32>, %[[STATE:.*]]: tensor<4xf32>
// CHECK-NOT:     call
// CHECK-NOT:     tensor.cast
// CHECK:         %[[H:.*]] = tern.embedding %{{.*}}[%[[IDS]]] : tensor<10x4xf32>, tensor<1xi32> -> tensor<1x4xf32>
// CHECK:         %[[N:.*]] = tern.rms_norm %[[H]], %{{.*}} eps({{.*}}) : tensor<1x4xf32>, tensor<4xf32>
// CHECK:         %[[F:.*]] = tern.forget_gate %[[N]] : tensor<1x4xf32>
// CHECK:         %{{.*}}, %[[FINAL:.*]] = tern.mlgru %[[N]], %[[F]], %[[STATE]] : tensor<1x4xf32>, tensor<4xf32>
// CHECK:         return %{{.*}}, %[[FINAL]] : tensor<1x4xf32>, tensor<4xf32>
func.func @prefill(%ids: tensor<?xi32>, %state: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4xf32>) {
  %table = arith.constant dense<0.5> : tensor<10x4xf32>
  %w = arith.constant dense<1.0> : tensor<4xf32>
  %h = tern.embedding %table[%ids] : tensor<10x4xf32>, tensor<?xi32> -> tensor<?x4xf32>
  %n = tern.rms_norm %h, %w eps(1.0e-6) : tensor<?x4xf32>, tensor<4xf32>
  %f = tern.forget_gate %n : tensor<?x4xf32>
  %hidden, %final = tern.mlgru %n, %f, %state : tensor<?x4xf32>, tensor<4xf32>
  return %hidden, %final : tensor<?x4xf32>, tensor<4xf32>
}
func.func @decode(%ids: tensor<1xi32>, %state: tensor<4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>) {
  %cast = tensor.cast %ids : tensor<1xi32> to tensor<?xi32>
  %0:2 = call @prefill(%cast, %state) : (tensor<?xi32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4xf32>)
  %cast_0 = tensor.cast %0#0 : tensor<?x4xf32> to tensor<1x4xf32>
  return %cast_0, %0#1 : tensor<1x4xf32>, tensor<4xf32>
}

// -----

// A call whose dynamic argument is not a cast of a static tensor is left alone.
// CHECK-LABEL: func.func @caller(
// CHECK:         call @callee
func.func @callee(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
func.func @caller(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-remark @below {{not specialized: a dynamic argument is not a cast of a ranked tensor}}
  %0 = call @callee(%x) : (tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
