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

// -----

// With trigger-after-wait-functions, a kernel that only those functions launch signals after its
// wait (inserted first where it had none), so a chain of them runs one kernel ahead at most; a
// kernel another function launches too keeps the early signal.
// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(gpu.module(tern-gpu-dependent-launch{trigger-after-wait-functions=tern_decode}))' | FileCheck %s --check-prefix=LATE
// Without the option, the same kernels all signal first thing:
// CHECK-LABEL: gpu.module @kernels
// CHECK-LABEL: gpu.func @decode_only
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NEXT: nvvm.griddepcontrol wait
// LATE-LABEL: gpu.module @kernels
// LATE-LABEL: gpu.func @decode_only
// LATE-NEXT: nvvm.griddepcontrol wait
// LATE-NEXT: nvvm.griddepcontrol launch_dependents
// LATE-NEXT: arith.constant
// LATE-LABEL: gpu.func @decode_matvec
// LATE: memref.load %arg0
// LATE-NEXT: nvvm.griddepcontrol wait
// LATE-NEXT: nvvm.griddepcontrol launch_dependents
// LATE-NEXT: memref.load %arg1
// LATE-LABEL: gpu.func @shared
// LATE-NEXT: nvvm.griddepcontrol launch_dependents
// LATE-NEXT: nvvm.griddepcontrol wait
// LATE-LABEL: gpu.func @prefill_only
// LATE-NEXT: nvvm.griddepcontrol launch_dependents
// LATE-NEXT: nvvm.griddepcontrol wait
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @decode_only(%x: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %x[%c0] : memref<4xf32>
      memref.store %v, %x[%c0] : memref<4xf32>
      gpu.return
    }
    gpu.func @decode_matvec(%w: memref<4xi8>, %q: memref<4xi8>) kernel {
      %c0 = arith.constant 0 : index
      %a = memref.load %w[%c0] : memref<4xi8>
      nvvm.griddepcontrol wait
      %b = memref.load %q[%c0] : memref<4xi8>
      %s = arith.addi %a, %b : i8
      memref.store %s, %q[%c0] : memref<4xi8>
      gpu.return
    }
    gpu.func @shared(%x: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @prefill_only(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @tern_decode(%x: memref<4xf32>, %w: memref<4xi8>, %q: memref<4xi8>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@decode_only blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @kernels::@decode_matvec blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xi8>, %q : memref<4xi8>)
    gpu.launch_func @kernels::@shared blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  func.func @tern_prefill(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@shared blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @kernels::@prefill_only blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
}
