// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64 prefetch-inputs=1}))' | FileCheck %s
// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64}))' | FileCheck %s --check-prefix=NONE

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// With prefetch-inputs the kernel opens with L2 prefetches of the inputs it reads from global
// memory, before anything else: the 100 weights (400 bytes: lines 0-3 from byte 0 to 399, each
// thread one line, the last clamped to byte 399) and the row of 100 floats. A line per thread:
// 1 + ceil(400/128) = 5 lines each, so every thread issues one prefetch per buffer. Not the
// intermediate %t, which lives in the kernel's shared memory, nor the outputs.
// CHECK-LABEL: func.func @norm
// CHECK-SAME: (%[[X:[a-z0-9]+]]: memref<1x100xf32>, %[[W:[a-z0-9]+]]: memref<100xf32>
// CHECK: gpu.launch {{.*}} threads(%[[TX:[^,]*]],
// CHECK-NEXT: %[[BASE0:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: %[[LINE0:.*]] = arith.muli %[[TX]], %c128
// CHECK-NEXT: %[[OFF0:.*]] = arith.minui %[[LINE0]], %c399
// CHECK-NEXT: %[[A0:.*]] = arith.addi %[[BASE0]], %[[OFF0]]
// CHECK-NEXT: %[[I0:.*]] = arith.index_cast %[[A0]] : index to i64
// CHECK-NEXT: %[[P0:.*]] = llvm.inttoptr %[[I0]] : i64 to !llvm.ptr<1>
// CHECK-NEXT: nvvm.prefetch level = L2, %[[P0]] : !llvm.ptr<1>
// CHECK-NEXT: %[[BASE1:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: nvvm.prefetch level = L2
// CHECK-NOT: nvvm.prefetch
// CHECK: gpu.terminator
// NONE-LABEL: func.func @norm
// NONE-NOT: nvvm.prefetch
func.func @norm(%x: memref<1x100xf32>, %w: memref<100xf32>) -> (memref<1xf32>, memref<1x100xf32>) {
  %zero = arith.constant 0.0 : f32
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
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t, %sum : memref<1x100xf32>, memref<1xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %d = arith.divf %a, %s : f32
    linalg.yield %d : f32
  }
  gpu.dealloc %t : memref<1x100xf32>
  return %sum, %out : memref<1xf32>, memref<1x100xf32>
}
