// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64}))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An RMS-norm-like run of an elementwise op, a fill, a reduction and an elementwise op over one
// row of static shape becomes one kernel of one block: the ops in order, a barrier after each, the
// reduction combined over the block (warp shuffles, then the warps through workgroup memory), 100
// elements in two unrolled rounds of 64 threads (the second guarded). The squares, which only this
// kernel uses, live in its shared memory; the result, which the function returns, stays global.
// CHECK-LABEL: func.func @run
// CHECK: %[[OUT:.*]] = gpu.alloc () : memref<1x100xf32>
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}}) workgroup(%[[F32:.*]] : memref<2xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<2xi32, #gpu.address_space<workgroup>>, %[[SQ:.*]] : memref<1x100xf32, #gpu.address_space<workgroup>>)
// CHECK: memref.load %arg0
// CHECK: memref.load %arg0
// CHECK: arith.mulf
// CHECK: memref.store %{{.*}}, %[[SQ]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[SQ]]
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: gpu.barrier
// CHECK: memref.load %[[SQ]]
// CHECK: memref.load %[[SQ]]
// CHECK: arith.select
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.store %{{.*}}, %[[F32]]
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: gpu.barrier
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: gpu.barrier
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[OUT]]
func.func @run(%x: memref<1x100xf32>, %sum: memref<1xf32>) -> memref<1x100xf32> {
  %zero = arith.constant 0.0 : f32
  %sq = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x100xf32>) outs(%sq : memref<1x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : memref<1x100xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  gpu.dealloc %sq : memref<1x100xf32>
  %out = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : memref<1x100xf32>, memref<1xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    linalg.yield %d : f32
  }
  return %out : memref<1x100xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Dynamic shapes (a prefill of any length) are left to the other passes.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: gpu.launch
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @dynamic(%x: memref<?x100xf32>, %sum: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  return
}
