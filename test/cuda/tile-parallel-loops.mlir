// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-tile-parallel-loops{block-size=128}))' | FileCheck %s

// The innermost dimension is split by the block size, the others by 1, and the inner loop has a
// constant trip count with a guard, so that it can become a block's threads.
// CHECK-LABEL: func.func @tile
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[S0:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK: %[[S1:.*]] = arith.muli %{{.*}}, %[[C128]] : index
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to (%arg1, %arg2) step (%[[S0]], %[[S1]])
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%[[S0]], %[[S1]])
// CHECK: arith.cmpi ult, %{{.*}}, %arg2 : index
// CHECK: %[[IN:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[IN]]
// CHECK-NEXT: memref.store
func.func @tile(%a: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    memref.store %f, %a[%i, %j] : memref<?x?xf32>
  }
  return
}
