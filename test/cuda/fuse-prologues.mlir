// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-fuse-prologues))' | FileCheck %s

// A single-block kernel (64 threads) quantizes the next product's input into %q and its scale
// into %scale, and writes %x for a later kernel; the marked product (4 blocks of 64 threads)
// reads %q and %scale after its wait. One kernel remains: the product's weight load, then the
// single-block kernel's weight load and wait, its work with %q and %scale in shared memory and
// %x stored by block 0 alone, a barrier, then the product's work reading the shared buffers.
// CHECK-LABEL: func.func @fused
// CHECK: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c4{{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in
// CHECK-SAME: workgroup(%[[WQ:.*]] : memref<1x64xi8, #gpu.address_space<workgroup>>, %[[WS:.*]] : memref<1xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: tern.prologue_target
// CHECK: memref.load %{{.*}}[%[[B]]] : memref<4xi8>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[B]], %c0
// CHECK: memref.load %{{.*}}[%[[T]]] : memref<64xf32>
// CHECK: nvvm.griddepcontrol wait
// CHECK-NOT: nvvm.griddepcontrol wait
// CHECK: memref.store %{{.*}}, %[[WQ]][%c0{{.*}}, %[[T]]]
// CHECK: memref.store %{{.*}}, %[[WS]][%c0
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store %{{.*}}, %{{.*}}[%[[T]]] : memref<64xf32>
// CHECK: gpu.barrier
// CHECK: memref.load %[[WQ]]
// CHECK: memref.load %[[WS]]
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: gpu.dealloc
func.func @fused(%in: memref<64xf32>, %w: memref<64xf32>, %weights: memref<4xi8>) -> (memref<64xf32>, memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %out = gpu.alloc () : memref<4xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %q = gpu.alloc () : memref<1x64xi8>
  %scale = gpu.alloc () : memref<1xf32>
  %x = gpu.alloc () : memref<64xf32>
  %tmp = gpu.alloc () : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %wv = memref.load %w[%tx] : memref<64xf32>
    nvvm.griddepcontrol wait
    %v = memref.load %in[%tx] : memref<64xf32>
    %y = arith.mulf %v, %wv : f32
    %i = arith.fptosi %y : f32 to i8
    memref.store %i, %q[%c0, %tx] : memref<1x64xi8>
    memref.store %y, %scale[%c0] : memref<1xf32>
    memref.store %y, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.dealloc %tmp : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %wt = memref.load %weights[%bx] : memref<4xi8>
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %s = memref.load %scale[%c0] : memref<1xf32>
    %p = arith.muli %a, %wt : i8
    %f = arith.sitofp %p : i8 to f32
    %r = arith.mulf %f, %s : f32
    memref.store %r, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  gpu.dealloc %scale : memref<1xf32>
  return %x, %out : memref<64xf32>, memref<4xf32>
}

// -----

// An intermediate that the single-block kernel updates in place and no later op reads: its
// stores are dropped, each block keeps the values in registers.
// CHECK-LABEL: func.func @dead_intermediate
// CHECK: gpu.launch
// CHECK-NOT: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<64xf32>
// CHECK: gpu.barrier
// CHECK-NOT: gpu.launch
func.func @dead_intermediate(%t: memref<64xf32>, %weights: memref<4xi8>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %q = gpu.alloc () : memref<1x64xi8>
  %tmp = gpu.alloc () : memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %v = memref.load %tmp[%tx] : memref<64xf32>
    %y = arith.mulf %v, %v : f32
    memref.store %y, %tmp[%tx] : memref<64xf32>
    %i = arith.fptosi %y : f32 to i8
    memref.store %i, %q[%c0, %tx] : memref<1x64xi8>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  gpu.dealloc %tmp : memref<64xf32>
  return
}

// -----

// Left alone: the single-block kernel updates in place a buffer that a later op reads (another
// block could read what block 0 already wrote); a product whose block size differs; a product
// that writes what the single-block kernel reads.
// CHECK-LABEL: func.func @in_place_read_later
// CHECK-COUNT-2: gpu.launch
func.func @in_place_read_later(%weights: memref<4xi8>, %out: memref<4xf32>) -> memref<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %q = gpu.alloc () : memref<1x64xi8>
  %x = gpu.alloc () : memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %v = memref.load %x[%tx] : memref<64xf32>
    %y = arith.mulf %v, %v : f32
    memref.store %y, %x[%tx] : memref<64xf32>
    %i = arith.fptosi %y : f32 to i8
    memref.store %i, %q[%c0, %tx] : memref<1x64xi8>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  return %x : memref<64xf32>
}

// CHECK-LABEL: func.func @other_block_size
// CHECK-COUNT-2: gpu.launch
func.func @other_block_size(%in: memref<64xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %q = gpu.alloc () : memref<1x64xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %v = memref.load %in[%tx] : memref<64xf32>
    %i = arith.fptosi %v : f32 to i8
    memref.store %i, %q[%c0, %tx] : memref<1x64xi8>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  return
}

// CHECK-LABEL: func.func @product_writes_input
// CHECK-COUNT-2: gpu.launch
func.func @product_writes_input(%in: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %q = gpu.alloc () : memref<1x64xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %v = memref.load %in[%tx] : memref<64xf32>
    %i = arith.fptosi %v : f32 to i8
    memref.store %i, %q[%c0, %tx] : memref<1x64xi8>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %in[%tx] : memref<64xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  return
}

// Left alone inside a loop: an op before the kernels could read, on the next iteration, what
// block 0 alone would write.
// CHECK-LABEL: func.func @in_loop
// CHECK: scf.for
// CHECK-COUNT-2: gpu.launch
func.func @in_loop(%in: memref<64xf32>, %n: index) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %out = gpu.alloc () : memref<4xf32>
  scf.for %i = %c0 to %n step %c1 {
    %q = gpu.alloc () : memref<1x64xi8>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      nvvm.griddepcontrol wait
      %v = memref.load %in[%tx] : memref<64xf32>
      %i8 = arith.fptosi %v : f32 to i8
      memref.store %i8, %q[%c0, %tx] : memref<1x64xi8>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      nvvm.griddepcontrol wait
      %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
      %f = arith.sitofp %a : i8 to f32
      memref.store %f, %out[%bx] : memref<4xf32>
      gpu.terminator
    } {tern.prologue_target}
    gpu.dealloc %q : memref<1x64xi8>
  }
  return %out : memref<4xf32>
}

// -----

// What the single-block kernel writes for later kernels is a function argument: only the stores
// to it are left to block 0, not those to the block's own shared memory (its partials, the handed
// activations). (Had the kernel read another argument, which may be the same buffer, it would be
// left alone: @reads_argument.)
// CHECK-LABEL: func.func @kept_argument
// CHECK: gpu.launch {{.*}} workgroup(%[[WQ:[a-z0-9_]+]] : memref<1x64xi8, #gpu.address_space<workgroup>>, %[[PART:[a-z0-9_]+]] : memref<2xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[FIRST:.*]] = arith.cmpi eq
// CHECK: memref.store %{{.*}}, %[[PART]][%{{.*}}]
// CHECK: memref.store %{{.*}}, %[[WQ]][%{{.*}}, %{{.*}}]
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store %{{.*}}, %arg0[%{{.*}}] : memref<64xf32>
// CHECK-NEXT: }
// CHECK: gpu.barrier
func.func @kept_argument(%x: memref<64xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %in = gpu.alloc () : memref<64xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  %out = gpu.alloc () : memref<4xf32>
  %q = gpu.alloc () : memref<1x64xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1)
             workgroup(%part : memref<2xf32, #gpu.address_space<workgroup>>) {
    nvvm.griddepcontrol wait
    %v = memref.load %in[%tx] : memref<64xf32>
    %w = arith.divui %tx, %c32 : index
    memref.store %v, %part[%w] : memref<2xf32, #gpu.address_space<workgroup>>
    %i8 = arith.fptosi %v : f32 to i8
    memref.store %i8, %q[%c0, %tx] : memref<1x64xi8>
    memref.store %v, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  return %out : memref<4xf32>
}

// CHECK-LABEL: func.func @reads_argument
// CHECK-COUNT-2: gpu.launch
func.func @reads_argument(%in: memref<64xf32>, %x: memref<64xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %out = gpu.alloc () : memref<4xf32>
  %q = gpu.alloc () : memref<1x64xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %v = memref.load %in[%tx] : memref<64xf32>
    %i8 = arith.fptosi %v : f32 to i8
    memref.store %i8, %q[%c0, %tx] : memref<1x64xi8>
    memref.store %v, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    nvvm.griddepcontrol wait
    %a = memref.load %q[%c0, %tx] : memref<1x64xi8>
    %f = arith.sitofp %a : i8 to f32
    memref.store %f, %out[%bx] : memref<4xf32>
    gpu.terminator
  } {tern.prologue_target}
  gpu.dealloc %q : memref<1x64xi8>
  return %out : memref<4xf32>
}
