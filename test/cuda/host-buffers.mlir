// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-host-buffers))' | FileCheck %s

// Host buffers move to device memory; a copy becomes a linalg.copy (a kernel later), never a
// host memcpy of device memory.
// CHECK-LABEL: func.func @buffers
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = gpu.alloc  (%arg0) : memref<?xf32>
// CHECK-NEXT: linalg.copy ins(%arg1 : memref<?xf32>) outs(%[[A]] : memref<?xf32>)
// CHECK-NEXT: %[[B:.*]] = gpu.alloc  () : memref<16xf32>
// CHECK-NEXT: gpu.dealloc  %[[B]] : memref<16xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
func.func @buffers(%n: index, %src: memref<?xf32>) -> memref<?xf32> {
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
  memref.copy %src, %a : memref<?xf32> to memref<?xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  return %a : memref<?xf32>
}

// Inside a kernel, private buffers stay as they are.
// CHECK-LABEL: func.func @in_kernel
// CHECK: gpu.launch
// CHECK: memref.alloca() : memref<4xf32>
func.func @in_kernel() {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %p = memref.alloca() : memref<4xf32>
    gpu.terminator
  }
  return
}
