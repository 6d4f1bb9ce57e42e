// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(gpu.module(tern-gpu-dependent-launch))' | FileCheck %s

// Every kernel lets the next one start first thing; one that does not wait anywhere waits for the
// kernels before it right after, before it touches memory. Functions that are not kernels are
// left alone.
// CHECK-LABEL: gpu.module @plain
// CHECK-LABEL: gpu.func @scale
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: arith.constant
// CHECK-NEXT: memref.load
// CHECK-LABEL: gpu.func @helper
// CHECK-NOT: nvvm.griddepcontrol
// CHECK: gpu.return
gpu.module @plain {
  gpu.func @scale(%x: memref<4xf32>) kernel {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0] : memref<4xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%c0] : memref<4xf32>
    gpu.return
  }
  gpu.func @helper(%x: memref<4xf32>) {
    gpu.return
  }
}

// -----

// A kernel that already waits itself (the matrix-vector kernel, after loading its weights) keeps
// its own wait and only gets the early signal.
// CHECK-LABEL: gpu.module @prefetching
// CHECK: nvvm.griddepcontrol launch_dependents
// CHECK-NEXT: arith.constant
// CHECK-NEXT: memref.load %arg0
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: memref.load %arg1
// CHECK-NOT: nvvm.griddepcontrol
gpu.module @prefetching {
  gpu.func @matvec(%w: memref<4xi8>, %q: memref<4xi8>) kernel {
    %c0 = arith.constant 0 : index
    %a = memref.load %w[%c0] : memref<4xi8>
    nvvm.griddepcontrol wait
    %b = memref.load %q[%c0] : memref<4xi8>
    %s = arith.addi %a, %b : i8
    memref.store %s, %q[%c0] : memref<4xi8>
    gpu.return
  }
}
