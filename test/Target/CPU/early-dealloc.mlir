// RUN: tern-opt %s -tern-cpu-early-dealloc | FileCheck %s

// A buffer is freed after its last use, views and nested uses included.
// CHECK-LABEL: func.func @layers
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: %[[B:.*]] = memref.alloc
// CHECK: memref.copy %arg0, %[[A]]
// CHECK: %[[V:.*]] = memref.subview %[[A]]
// CHECK: scf.for
// CHECK:   memref.copy %[[V]], %[[B]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: memref.copy %[[B]], %arg1
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK: %[[C:.*]] = memref.alloc
// CHECK: memref.copy %arg0, %[[C]]
// CHECK-NEXT: memref.dealloc %[[C]]
// CHECK: return
func.func @layers(%in: memref<8xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %in, %a : memref<8xf32> to memref<8xf32>
  %v = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.for %i = %c0 to %c2 step %c1 {
    memref.copy %v, %b : memref<4xf32, strided<[1]>> to memref<4xf32>
  }
  memref.copy %b, %out : memref<4xf32> to memref<4xf32>
  %c = memref.alloc() : memref<8xf32>
  memref.copy %in, %c : memref<8xf32> to memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<4xf32>
  memref.dealloc %c : memref<8xf32>
  return
}

// A buffer that flows into another value (here a select) keeps its dealloc.
// CHECK-LABEL: func.func @escapes
// CHECK: arith.select
// CHECK: memref.copy
// CHECK-NEXT: memref.dealloc
func.func @escapes(%cond: i1, %in: memref<8xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %s = arith.select %cond, %a, %in : memref<8xf32>
  memref.copy %in, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  return
}
