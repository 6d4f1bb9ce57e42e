// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64 row-blocks=1}))' | FileCheck %s
// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64}))' | FileCheck %s --check-prefix=OFF

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// An RMS norm over rows of a count known only at run time (a prefill's tokens, a batch's
// sequences): the sum of squares of each row, then each element divided by its row's total and
// scaled by a weight of static shape. With row-blocks the run becomes one kernel of one block per
// row (grid x = the row count, here the size %x was allocated with): block t takes views of row t
// of every buffer it reads or writes per row (1 x 100, at offset t), and runs the ops on them as
// the single-block kernel of a decode step does (the reduction over the block; the division takes
// the total from a register). The weight is read whole, loaded before the sum (it does not depend on it).
// CHECK-LABEL: func.func @norm
// CHECK-SAME: (%[[N:.*]]: index,
// CHECK: %[[X:.*]] = gpu.alloc (%[[N]]) : memref<?x100xf32>
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[N]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c64{{.*}},
// CHECK-DAG: memref.subview %[[X]][%[[BX]], 0] [1, 100] [1, 1] : memref<?x100xf32> to memref<1x100xf32, strided<[100, 1], offset: ?>>
// CHECK-DAG: memref.subview %arg2[%[[BX]]] [1] [1] : memref<?xf32> to memref<1xf32, strided<[1], offset: ?>>
// CHECK-DAG: memref.subview %arg3[%[[BX]], 0] [1, 100] [1, 1]
// CHECK: memref.load %arg1
// CHECK: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %subview
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// CHECK-NOT: scf.parallel
// CHECK: return
// Without row-blocks the ops stay for the other passes.
// OFF-LABEL: func.func @norm
// OFF-NOT: gpu.launch
// OFF: linalg.fill
// OFF: linalg.generic
// OFF: linalg.generic
func.func @norm(%n: index, %w: memref<100xf32>, %sum: memref<?xf32>, %y: memref<?x100xf32>) {
  %zero = arith.constant 0.0 : f32
  %x = gpu.alloc (%n) : memref<?x100xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.mulf %in, %in : f32
    %a = arith.addf %s, %acc : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %w : memref<?x100xf32>, memref<?xf32>, memref<100xf32>)
      outs(%y : memref<?x100xf32>) {
  ^bb0(%in: f32, %t: f32, %wi: f32, %o: f32):
    %d = arith.divf %in, %t : f32
    %m = arith.mulf %d, %wi : f32
    linalg.yield %m : f32
  }
  gpu.dealloc %x : memref<?x100xf32>
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Not taken: an op whose body asks for the row index (its row view would give 0); rows whose
// counts are not known to be equal (two arguments' first dimensions, no op relating them); an op
// whose output is not indexed by the row.
// CHECK-LABEL: func.func @left
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @left(%a: memref<?x100xf32>, %b: memref<?x100xf32>, %c: memref<?x100xf32>,
                %d: memref<?x100xf32>, %s: memref<100xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x100xf32>) outs(%b : memref<?x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %i = linalg.index 0 : index
    %f = arith.index_cast %i : index to i32
    %g = arith.sitofp %f : i32 to f32
    %m = arith.mulf %in, %g : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x100xf32>) outs(%b : memref<?x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<?x100xf32>) outs(%d : memref<?x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%d : memref<?x100xf32>) outs(%s : memref<100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.addf %in, %o : f32
    linalg.yield %m : f32
  }
  return
}
