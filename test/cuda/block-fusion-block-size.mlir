// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=128}))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// A kernel takes as many rounds of its largest op as the largest block gives it (160 elements, at
// most 128 threads: 2 rounds), with the fewest idle thread slots: 96 threads (192 slots), not 128
// (256 slots, a third of the second round idle).
// CHECK-LABEL: func.func @rounds
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c96{{.*}}, {{.*}})
func.func @rounds(%x: memref<1x160xf32>) -> memref<1x160xf32> {
  %a = gpu.alloc () : memref<1x160xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x160xf32>) outs(%a : memref<1x160xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %b = gpu.alloc () : memref<1x160xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x160xf32>) outs(%b : memref<1x160xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  gpu.dealloc %a : memref<1x160xf32>
  return %b : memref<1x160xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// 256 elements fill 2 rounds of the largest block exactly: 128 threads.
// CHECK-LABEL: func.func @exact
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128{{.*}}, {{.*}})
func.func @exact(%x: memref<1x256xf32>) -> memref<1x256xf32> {
  %a = gpu.alloc () : memref<1x256xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x256xf32>) outs(%a : memref<1x256xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %b = gpu.alloc () : memref<1x256xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x256xf32>) outs(%b : memref<1x256xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  gpu.dealloc %a : memref<1x256xf32>
  return %b : memref<1x256xf32>
}
