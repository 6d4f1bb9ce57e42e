// RUN: tern-opt %s -convert-tern-to-linalg | FileCheck %s

// One step of B sequences is one elementwise generic over [B, H] with the
// float operations of tern.mlgru for one token, in the same order:
// keep = 1 - f, a = silu(i) * keep, h = f * h_prev + a.
// CHECK-LABEL: func.func @step
// CHECK: %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%arg0, %arg1, %arg2 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>)
// CHECK-SAME: outs(%[[OUT]] : tensor<?x8xf32>)
// CHECK: ^bb0(%[[I:.*]]: f32, %[[F:.*]]: f32, %[[H:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[KEEP:.*]] = arith.subf %{{.*}}, %[[F]] : f32
// CHECK: math.exp
// CHECK: %[[A:.*]] = arith.mulf %{{.*}}, %[[KEEP]] : f32
// CHECK: %[[FH:.*]] = arith.mulf %[[F]], %[[H]] : f32
// CHECK: %[[NEW:.*]] = arith.addf %[[FH]], %[[A]] : f32
// CHECK: linalg.yield %[[NEW]] : f32
func.func @step(%i: tensor<?x8xf32>, %f: tensor<?x8xf32>, %h: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %n = tern.mlgru_step %i, %f, %h : tensor<?x8xf32>
  return %n : tensor<?x8xf32>
}
