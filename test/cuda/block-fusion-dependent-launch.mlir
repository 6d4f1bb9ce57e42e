// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64 dependent-launch=1}))' | FileCheck %s
// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64}))' | FileCheck %s --check-prefix=PLAIN

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

memref.global "private" constant @weight : memref<100xf32> = dense<2.0>

// With dependent-launch the kernel first reads what depends on no earlier kernel: it prefetches
// its input %x into L2 (400 bytes: 1 + ceil(400/128) = 5 lines, a line per thread, the last
// clamped to byte 399), loads this thread's elements of the constant weight for both rounds
// (100 elements, 64 threads: thread t takes t and min(t + 64, 99)), and only then waits for the
// kernel before it. After the wait the weight is taken from those registers, by both members
// that read it: no load of it remains. Not prefetched: the weight, the intermediate %t (shared
// memory) and the outputs.
// CHECK-LABEL: func.func @norm
// CHECK-SAME: (%[[X:[a-z0-9]+]]: memref<1x100xf32>)
// CHECK: %[[W:.*]] = memref.get_global @weight
// CHECK: gpu.launch {{.*}} threads(%[[TX:[^,]*]],
// CHECK-NEXT: %[[BASE:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: %[[LINE:.*]] = arith.muli %[[TX]], %c128
// CHECK-NEXT: %[[OFF:.*]] = arith.minui %[[LINE]], %c399
// CHECK-NEXT: %[[A:.*]] = arith.addi %[[BASE]], %[[OFF]]
// CHECK-NEXT: %[[I:.*]] = arith.index_cast %[[A]] : index to i64
// CHECK-NEXT: %[[P:.*]] = llvm.inttoptr %[[I]] : i64 to !llvm.ptr<1>
// CHECK-NEXT: nvvm.prefetch level = L2, %[[P]] : !llvm.ptr<1>
// CHECK-NOT: nvvm.prefetch
// CHECK: %[[W0:.*]] = memref.load %[[W]]
// CHECK: %[[SECOND:.*]] = arith.addi %[[TX]], %c64
// CHECK: arith.minui %[[SECOND]], %c99
// CHECK: %[[W1:.*]] = memref.load %[[W]]
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NOT: memref.load %[[W]]
// CHECK: arith.mulf %{{.*}}, %[[W0]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: arith.mulf %{{.*}}, %[[W1]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: arith.divf %{{.*}}, %[[W0]]
// CHECK-NOT: memref.load %[[W]]
// CHECK: gpu.terminator
// PLAIN-LABEL: func.func @norm
// PLAIN-NOT: nvvm.
// PLAIN: memref.load %{{.*}} : memref<100xf32>
func.func @norm(%x: memref<1x100xf32>) -> (memref<1xf32>, memref<1x100xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @weight : memref<100xf32>
  %t = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : memref<1x100xf32>, memref<100xf32>) outs(%t : memref<1x100xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  %sum = gpu.alloc () : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%t : memref<1x100xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  %out = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t, %sum, %w : memref<1x100xf32>, memref<1xf32>, memref<100xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%a: f32, %s: f32, %b: f32, %o: f32):
    %d = arith.divf %a, %s : f32
    %e = arith.divf %d, %b : f32
    linalg.yield %e : f32
  }
  gpu.dealloc %t : memref<1x100xf32>
  return %sum, %out : memref<1xf32>, memref<1x100xf32>
}
