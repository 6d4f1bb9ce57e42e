// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-row-reductions{block-size=64}))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// One block per output row: each thread folds a strided part of the row (the body is cloned
// with the element loaded), then the warp with xor shuffles, then the warps through workgroup
// memory; thread 0 adds the total to the output.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C64]], {{.*}}) workgroup(%[[SMEM:.*]] : memref<2xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[ROW:.*]] = arith.remui %[[BX]], %[[ROWS]]
// CHECK: %[[PART:.*]] = scf.for %[[K:.*]] = %[[TX]] to %c100 step %{{.*}} iter_args(%[[ACC:.*]] = %cst)
// CHECK: %[[X:.*]] = memref.load %arg0
// CHECK: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK: %[[NEW:.*]] = arith.addf %[[SQ]], %[[ACC]] : f32
// CHECK: scf.yield %[[NEW]]
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.store %{{.*}}, %[[SMEM]]
// CHECK: gpu.barrier
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: %[[AT:.*]] = affine.apply #{{.*}}(%[[ROW]], %{{.*}})
// CHECK: %[[OLD:.*]] = memref.load %arg1[%[[AT]]]
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[OLD]] : f32
// CHECK: memref.store %[[SUM]], %arg1[%[[AT]]]
// CHECK-NOT: linalg.generic
func.func @sum_of_squares(%x: memref<?x100xf32>, %acc: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%acc : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %r = arith.addf %sq, %out : f32
    linalg.yield %r : f32
  }
  return
}

// A max starts every thread from -inf.
// CHECK-LABEL: func.func @abs_max
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[NEGINF]])
// CHECK: math.absf
// CHECK: arith.maximumf
func.func @abs_max(%x: memref<?x100xf32>, %acc: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%acc : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = math.absf %in : f32
    %r = arith.maximumf %out, %a : f32
    linalg.yield %r : f32
  }
  return
}

// Left for the generic lowering: the output read twice, and element types shuffles do not take.
// CHECK-LABEL: func.func @two_uses_of_out
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @two_uses_of_out(%x: memref<?x100xf32>, %acc: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%acc : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    %s = arith.mulf %r, %out : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @f64
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @f64(%x: memref<?x100xf64>, %acc: memref<?xf64>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf64>) outs(%acc : memref<?xf64>) {
  ^bb0(%in: f64, %out: f64):
    %r = arith.maximumf %in, %out : f64
    linalg.yield %r : f64
  }
  return
}

// A fill of the output just before is the reduction's starting value (no kernel, no read), and an
// elementwise generic that follows on the reduced values runs in the same kernel, on the thread
// that made each total (its output buffer moves before the kernel).
// CHECK-LABEL: func.func @sum_then_scale
// CHECK-NOT: linalg.fill
// CHECK: %[[S:.*]] = gpu.alloc
// CHECK: gpu.launch
// CHECK: %[[TOTAL:.*]] = arith.addf %{{.*}}, %cst : f32
// CHECK-NEXT: memref.store %[[TOTAL]], %arg1[%[[AT:.*]]]
// CHECK: %[[SCALED:.*]] = arith.divf %{{.*}}, %[[TOTAL]] : f32
// CHECK-NEXT: memref.store %[[SCALED]], %[[S]][%[[AT]]]
// CHECK-NOT: linalg.generic
func.func @sum_then_scale(%x: memref<?x100xf32>, %acc: memref<?xf32>, %n: index) -> memref<?xf32> {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<?xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%acc : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  %s = gpu.alloc (%n) : memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%acc : memref<?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.constant 127.0 : f32
    %d = arith.divf %c, %in : f32
    linalg.yield %d : f32
  }
  return %s : memref<?xf32>
}
