// RUN: tern-opt %s -tern-cpu-outline-ops | FileCheck %s

#id = affine_map<(d0) -> (d0)>

// The same op in two "layers" (different buffers, different scale constants)
// shares one function; a different op gets its own. Scalar constants become
// arguments; functions are internal and never inlined.
// CHECK-LABEL: func.func @layers
// CHECK: %[[S1:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[S2:.*]] = arith.constant 3.000000e+00 : f32
// CHECK: call @[[SCALE:__tern_op_[0-9]+]](%arg0, %arg1, %[[S1]])
// CHECK: call @[[SCALE]](%arg1, %arg2, %[[S2]])
// CHECK: call @[[NEG:__tern_op_[0-9]+]](%arg2, %arg0)
// CHECK-NOT: linalg.generic
// CHECK: func.func private @[[SCALE]](%{{.*}}: memref<8xf32>, %{{.*}}: memref<8xf32>, %[[S:.*]]: f32)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[S]]
// CHECK: func.func private @[[NEG]]
// CHECK: arith.negf
// CHECK-NOT: func.func private @__tern_op
func.func @layers(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>) {
  %s1 = arith.constant 2.0 : f32
  %s2 = arith.constant 3.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<8xf32>) outs(%b : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %s1 : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : memref<8xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %s2 : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%c : memref<8xf32>) outs(%a : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}
