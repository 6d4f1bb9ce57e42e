// RUN: tern-opt %s --pass-pipeline='builtin.module(func.func(tern-gpu-merge-launches))' | FileCheck %s

// Two independent kernels of the same block shape become one whose grid is the sum of theirs;
// block b runs the first body for b < 4 and the second, with its block index less 4, for the rest.
// The buffer freed between them is freed after the merged kernel.
// CHECK-LABEL: func.func @independent
// CHECK-COUNT-3: gpu.alloc
// CHECK: gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c7{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads
// CHECK: %[[LO:.*]] = arith.cmpi uge, %[[B]], %c0
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[A:.*]][%{{.*}}]
// CHECK: arith.cmpi uge, %[[B]], %c4
// CHECK: scf.if
// CHECK: %[[REL:.*]] = arith.subi %[[B]], %c4
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[REL]]]
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc
// CHECK-NOT: gpu.launch
func.func @independent(%x: memref<8xf32>) -> (memref<8xf32>, memref<8xf32>) {
  %a = gpu.alloc () : memref<8xf32>
  %b = gpu.alloc () : memref<8xf32>
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %tmp = gpu.alloc () : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %a[%bx] : memref<8xf32>
    gpu.terminator
  }
  gpu.dealloc %tmp : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %b[%bx] : memref<8xf32>
    gpu.terminator
  }
  return %a, %b : memref<8xf32>, memref<8xf32>
}

// A kernel that reads what the one before it writes stays separate.
// CHECK-LABEL: func.func @dependent
// CHECK-COUNT-2: gpu.launch blocks
func.func @dependent(%x: memref<8xf32>, %a: memref<8xf32>, %b: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %a[%bx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%bx] : memref<8xf32>
    memref.store %v, %b[%bx] : memref<8xf32>
    gpu.terminator
  }
  return
}

// Kernels with the same workgroup buffers (the matrix-vector kernels' staged activations) merge;
// the merged kernel declares them once and each part uses them. Different buffers keep two kernels.
// CHECK-LABEL: func.func @same_workgroup
// CHECK: gpu.launch {{.*}} workgroup(%[[S:.*]] : memref<4xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK-NOT: gpu.launch
// CHECK-LABEL: func.func @other_workgroup
// CHECK-COUNT-2: gpu.launch blocks
func.func @same_workgroup(%x: memref<8xf32>) -> (memref<8xf32>, memref<8xf32>) {
  %a = gpu.alloc () : memref<8xf32>
  %b = gpu.alloc () : memref<8xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<4xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %s[%bx] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %w = memref.load %s[%bx] : memref<4xf32, #gpu.address_space<workgroup>>
    memref.store %w, %a[%bx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<4xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %s[%bx] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %w = memref.load %s[%bx] : memref<4xf32, #gpu.address_space<workgroup>>
    memref.store %w, %b[%bx] : memref<8xf32>
    gpu.terminator
  }
  return %a, %b : memref<8xf32>, memref<8xf32>
}

func.func @other_workgroup(%x: memref<8xf32>) -> (memref<8xf32>, memref<8xf32>) {
  %a = gpu.alloc () : memref<8xf32>
  %b = gpu.alloc () : memref<8xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<4xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %s[%bx] : memref<4xf32, #gpu.address_space<workgroup>>
    memref.store %v, %a[%bx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%s : memref<8xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%bx] : memref<8xf32>
    memref.store %v, %s[%bx] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %v, %b[%bx] : memref<8xf32>
    gpu.terminator
  }
  return %a, %b : memref<8xf32>, memref<8xf32>
}

// Kernels whose grids have the same size along y, known only at run time, merge too: each takes
// its blocks of 32 tokens from its own input, and the inputs were allocated with the same token
// count (the input, forget and gate products of a prefill or a batch). The merged grid keeps that
// y; x is the sum.
// CHECK-LABEL: func.func @tokens
// CHECK: %[[Y:.*]] = arith.divui
// CHECK: arith.divui
// CHECK: gpu.launch blocks(%{{.*}}, %[[BY:.*]], %{{.*}}) in ({{.*}} = %c7{{.*}}, {{.*}} = %[[Y]], {{.*}} = %c1{{.*}}) threads
// CHECK: memref.store %cst{{.*}}[%[[BY]]]
// CHECK: memref.store %cst{{.*}}[%[[BY]]]
// CHECK-NOT: gpu.launch
// Not when the sizes may differ (inputs allocated with different counts).
// CHECK-LABEL: func.func @other_tokens
// CHECK-COUNT-2: gpu.launch blocks
func.func @tokens(%n: index) -> (memref<?xf32>, memref<?xf32>) {
  %a = gpu.alloc (%n) : memref<?xf32>
  %b = gpu.alloc (%n) : memref<?xf32>
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c0 = arith.constant 0 : index
  %c31 = arith.constant 31 : index
  %qa = gpu.alloc (%n) : memref<?x64xi8>
  %qb = gpu.alloc (%n) : memref<?x64xi8>
  %ta = memref.dim %qa, %c0 : memref<?x64xi8>
  %ua = arith.addi %ta, %c31 : index
  %ya = arith.divui %ua, %c32 : index
  %tb = memref.dim %qb, %c0 : memref<?x64xi8>
  %ub = arith.addi %tb, %c31 : index
  %yb = arith.divui %ub, %c32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %ya, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %a[%by] : memref<?xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %yb, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 2.0 : f32
    memref.store %f, %b[%by] : memref<?xf32>
    gpu.terminator
  }
  return %a, %b : memref<?xf32>, memref<?xf32>
}

func.func @other_tokens(%n: index, %m: index) -> (memref<?xf32>, memref<?xf32>) {
  %a = gpu.alloc (%n) : memref<?xf32>
  %b = gpu.alloc (%m) : memref<?xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c0 = arith.constant 0 : index
  %qa = gpu.alloc (%n) : memref<?x64xi8>
  %qb = gpu.alloc (%m) : memref<?x64xi8>
  %ta = memref.dim %qa, %c0 : memref<?x64xi8>
  %tb = memref.dim %qb, %c0 : memref<?x64xi8>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %ta, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %a[%by] : memref<?xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %tb, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %f = arith.constant 2.0 : f32
    memref.store %f, %b[%by] : memref<?xf32>
    gpu.terminator
  }
  return %a, %b : memref<?xf32>, memref<?xf32>
}
