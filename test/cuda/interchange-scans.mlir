// RUN: tern-opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(func.func(tern-gpu-interchange-scans{unroll=2}))' | FileCheck %s

#id = affine_map<(d0) -> (d0)>

// Prefill's recurrence h_t = f_t * h_{t-1} + a_t, then a copy of h_t into row t of the output:
// one parallel loop over the 8 elements, each running the tokens in order, 2 at a time (their
// rows loaded first), then the remainder one at a time. The state lives in a register from token
// to token (loaded before, stored once after); the copy is a store of the register.
// CHECK-LABEL: func.func @recurrence
// CHECK: %[[T:.*]] = memref.dim %arg0
// CHECK: %[[H:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%[[T]])
// CHECK-NOT: scf.for
// CHECK: scf.parallel (%[[J:.*]]) = (%{{.*}}) to (%c8) step
// CHECK: %[[H0:.*]] = memref.load %[[H]][%[[J]]]
// CHECK: %[[MAIN:.*]] = scf.for %[[I:.*]] = %c0 to %{{.*}} step %c2 iter_args(%[[HI:.*]] = %[[H0]]) -> (f32)
// CHECK: %[[I1:.*]] = arith.addi %[[I]], %c1
// CHECK: %[[F0:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK: %[[A0:.*]] = memref.load %arg1[%[[I]], %[[J]]]
// CHECK: %[[F1:.*]] = memref.load %arg0[%[[I1]], %[[J]]]
// CHECK: %[[A1:.*]] = memref.load %arg1[%[[I1]], %[[J]]]
// CHECK: %[[M0:.*]] = arith.mulf %[[F0]], %[[HI]]
// CHECK: %[[S0:.*]] = arith.addf %[[M0]], %[[A0]]
// CHECK: memref.store %[[S0]], %[[OUT]][%[[I]], %[[J]]]
// CHECK: %[[M1:.*]] = arith.mulf %[[F1]], %[[S0]]
// CHECK: %[[S1:.*]] = arith.addf %[[M1]], %[[A1]]
// CHECK: memref.store %[[S1]], %[[OUT]][%[[I1]], %[[J]]]
// CHECK: scf.yield %[[S1]]
// CHECK: %[[LAST:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[T]] step %{{.*}} iter_args(%[[HK:.*]] = %[[MAIN]])
// CHECK: memref.load %arg0[%[[K]], %[[J]]]
// CHECK: memref.load %arg1[%[[K]], %[[J]]]
// CHECK-NOT: memref.load
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[K]], %[[J]]]
// CHECK: memref.store %[[LAST]], %[[H]][%[[J]]]
// CHECK: scf.reduce
// CHECK: linalg.copy ins(%[[H]] : memref<8xf32>) outs(%arg2
func.func @recurrence(%f: memref<?x8xf32>, %a: memref<?x8xf32>, %state: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.dim %f, %c0 : memref<?x8xf32>
  %h = memref.alloc() : memref<8xf32>
  %out = memref.alloc(%t) : memref<?x8xf32>
  linalg.copy ins(%state : memref<8xf32>) outs(%h : memref<8xf32>)
  scf.for %i = %c0 to %t step %c1 {
    %fi = memref.subview %f[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %ai = memref.subview %a[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
        ins(%fi, %ai : memref<8xf32, strided<[1], offset: ?>>, memref<8xf32, strided<[1], offset: ?>>)
        outs(%h : memref<8xf32>) {
    ^bb0(%x: f32, %y: f32, %o: f32):
      %m = arith.mulf %x, %o : f32
      %s = arith.addf %m, %y : f32
      linalg.yield %s : f32
    }
    %oi = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%h : memref<8xf32>) outs(%oi : memref<8xf32, strided<[1], offset: ?>>)
  }
  linalg.copy ins(%h : memref<8xf32>) outs(%state : memref<8xf32>)
  "test.use"(%out) : (memref<?x8xf32>) -> ()
  return
}

// A row written in one op and read by the next op of the same token is taken from its register;
// a buffer of the whole row that is only read (the lower bound) is loaded once, before the
// tokens; the column offset of a row counts.
// CHECK-LABEL: func.func @forwarded
// CHECK: scf.parallel (%[[J:.*]]) =
// CHECK: %[[LB:.*]] = memref.load %arg1[%[[J]]]
// CHECK: scf.for %[[I:.*]] = {{.*}} step %c2
// CHECK: %[[COL:.*]] = arith.addi %[[J]], %c4
// CHECK: %[[X0:.*]] = memref.load %arg0[%[[I]], %[[COL]]]
// CHECK: %[[X1:.*]] = memref.load %arg0[%{{.*}}, %[[COL]]]
// CHECK-NOT: memref.load
// CHECK: %[[Y0:.*]] = arith.mulf %[[X0]], %[[LB]]
// CHECK: memref.store %[[Y0]], %[[TMP:.*]][%[[I]], %[[J]]]
// CHECK: %[[Z0:.*]] = arith.addf %[[Y0]], %[[Y0]]
// CHECK: memref.store %[[Z0]]
// CHECK: arith.mulf %[[X1]], %[[LB]]
func.func @forwarded(%x: memref<?x12xf32>, %lb: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.dim %x, %c0 : memref<?x12xf32>
  %tmp = memref.alloc(%t) : memref<?x8xf32>
  %out = memref.alloc(%t) : memref<?x8xf32>
  scf.for %i = %c0 to %t step %c1 {
    %xi = memref.subview %x[%i, 4] [1, 8] [1, 1] : memref<?x12xf32> to memref<8xf32, strided<[1], offset: ?>>
    %ti = memref.subview %tmp[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %oi = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
        ins(%xi, %lb : memref<8xf32, strided<[1], offset: ?>>, memref<8xf32>)
        outs(%ti : memref<8xf32, strided<[1], offset: ?>>) {
    ^bb0(%v: f32, %w: f32, %o: f32):
      %m = arith.mulf %v, %w : f32
      linalg.yield %m : f32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%ti : memref<8xf32, strided<[1], offset: ?>>)
        outs(%oi : memref<8xf32, strided<[1], offset: ?>>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %v : f32
      linalg.yield %s : f32
    }
  }
  "test.use"(%tmp, %out) : (memref<?x8xf32>, memref<?x8xf32>) -> ()
  return
}

// Left alone: the rows written belong to an argument, which may share memory with the
// argument read; a step other than 1; a row that is not at the induction variable; an op that
// is not elementwise on rows.
// CHECK-LABEL: func.func @arguments
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @arguments(%f: memref<?x8xf32>, %out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.dim %f, %c0 : memref<?x8xf32>
  scf.for %i = %c0 to %t step %c1 {
    %fi = memref.subview %f[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %oi = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%fi : memref<8xf32, strided<[1], offset: ?>>) outs(%oi : memref<8xf32, strided<[1], offset: ?>>)
  }
  return
}

// CHECK-LABEL: func.func @step_two
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @step_two(%f: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %t = memref.dim %f, %c0 : memref<?x8xf32>
  %out = memref.alloc(%t) : memref<?x8xf32>
  scf.for %i = %c0 to %t step %c2 {
    %fi = memref.subview %f[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %oi = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%fi : memref<8xf32, strided<[1], offset: ?>>) outs(%oi : memref<8xf32, strided<[1], offset: ?>>)
  }
  "test.use"(%out) : (memref<?x8xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @previous_row
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @previous_row(%f: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.dim %f, %c0 : memref<?x8xf32>
  %out = memref.alloc(%t) : memref<?x8xf32>
  scf.for %i = %c1 to %t step %c1 {
    %p = arith.subi %i, %c1 : index
    %fi = memref.subview %f[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %oi = memref.subview %out[%p, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%fi : memref<8xf32, strided<[1], offset: ?>>) outs(%oi : memref<8xf32, strided<[1], offset: ?>>)
  }
  "test.use"(%out) : (memref<?x8xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @reduction
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @reduction(%f: memref<?x8xf32>, %sum: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.dim %f, %c0 : memref<?x8xf32>
  %acc = memref.alloc() : memref<f32>
  scf.for %i = %c0 to %t step %c1 {
    %fi = memref.subview %f[%i, 0] [1, 8] [1, 1] : memref<?x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
        ins(%fi : memref<8xf32, strided<[1], offset: ?>>) outs(%acc : memref<f32>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %o : f32
      linalg.yield %s : f32
    }
  }
  "test.use"(%acc) : (memref<f32>) -> ()
  return
}
