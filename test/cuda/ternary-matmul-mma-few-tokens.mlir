// RUN: tern-opt %s --tern-gpu-ternary-matvec="dependent-launch=1 few-token-functions=batch" \
// RUN:   | FileCheck %s

// The same product of rows of 8,192 columns (64 chunks of 128, 16 a warp) in a function of few
// tokens a call (few-token-functions: batch decode, one token a sequence) and in another
// (prefill).
//
// Batch decode: each lane loads the weights of all 16 of its warp's chunks before the wait (64
// words: 2 of each of its 2 rows per chunk), and a block whose tokens fill only its first tile of
// 8 (a batch of up to 8 sequences) runs a copy of the loops that loads that tile's activations
// and multiplies them alone: 4 mma.sync per chunk instead of 16 (the early chunks go 2 at a time,
// their activations' loads first).
// CHECK-LABEL: func.func @batch
// CHECK: gpu.launch
// CHECK-COUNT-32: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x2048xi8>, vector<8xi8>
// CHECK-NOT: vector.load
// CHECK: nvvm.griddepcontrol wait
// CHECK: %[[HELD:.*]] = arith.minui %{{.*}}, %c4
// CHECK: scf.index_switch %[[HELD]]
// CHECK-NEXT: case 1 {
// CHECK-COUNT-4: vector.load %arg0
// CHECK-NOT: vector.load
// CHECK-COUNT-8: nvvm.mma.sync
// CHECK: default {
// CHECK-COUNT-16: vector.load %arg0
// CHECK-NOT: vector.load
// CHECK-COUNT-32: nvvm.mma.sync
// CHECK: return
//
// Prefill: 32 words before the wait (the first 8 chunks), then the others in the loops, which
// take all 4 tiles, in one copy.
// CHECK-LABEL: func.func @prefill
// CHECK: gpu.launch
// CHECK-COUNT-16: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x2048xi8>, vector<8xi8>
// CHECK-NOT: vector.load
// CHECK: nvvm.griddepcontrol wait
// CHECK-NOT: scf.index_switch
// CHECK-COUNT-16: vector.load %arg0
// CHECK-NOT: vector.load
// CHECK-COUNT-32: nvvm.mma.sync
// CHECK: scf.for
// CHECK-COUNT-2: vector.load %{{.*}} : memref<16x2048xi8>, vector<8xi8>
// CHECK-NOT: scf.index_switch
// CHECK: return
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
module {
  memref.global "private" constant @wb : memref<16x2048xi8> = dense<85>
  func.func @batch(%q: memref<?x8192xi8>, %out: memref<?x16xi32>, %y: memref<?x16xf32>) {
    %w = memref.get_global @wb : memref<16x2048xi8>
    %zero = arith.constant 0 : i32
    %scale = arith.constant 0.5 : f32
    linalg.fill ins(%zero : i32) outs(%out : memref<?x16xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x8192xi8>, memref<16x2048xi8>) outs(%out : memref<?x16xi32>) {
    ^bb0(%x8: i8, %byte: i8, %acc: i32):
      %c0 = arith.constant 0 : i32
      %c1 = arith.constant 1 : i32
      %c3 = arith.constant 3 : i32
      %c4 = arith.constant 4 : i32
      %k = linalg.index 2 : index
      %code0 = arith.extui %byte : i8 to i32
      %kk = arith.index_cast %k : index to i32
      %r = arith.remui %kk, %c4 : i32
      %sh = arith.shli %r, %c1 : i32
      %s = arith.shrui %code0, %sh : i32
      %code = arith.andi %s, %c3 : i32
      %trit = arith.subi %code, %c1 : i32
      %plus = arith.cmpi sgt, %trit, %c0 : i32
      %minus = arith.cmpi slt, %trit, %c0 : i32
      %x = arith.extsi %x8 : i8 to i32
      %nx = arith.subi %c0, %x : i32
      %m = arith.select %minus, %nx, %c0 : i32
      %term = arith.select %plus, %x, %m : i32
      %sum = arith.addi %acc, %term : i32
      linalg.yield %sum : i32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%out : memref<?x16xi32>) outs(%y : memref<?x16xf32>) {
    ^bb0(%v: i32, %o: f32):
      %f = arith.sitofp %v : i32 to f32
      %d = arith.mulf %f, %scale : f32
      linalg.yield %d : f32
    }
    return
  }
  memref.global "private" constant @wp : memref<16x2048xi8> = dense<85>
  func.func @prefill(%q: memref<?x8192xi8>, %out: memref<?x16xi32>, %y: memref<?x16xf32>) {
    %w = memref.get_global @wp : memref<16x2048xi8>
    %zero = arith.constant 0 : i32
    %scale = arith.constant 0.5 : f32
    linalg.fill ins(%zero : i32) outs(%out : memref<?x16xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x8192xi8>, memref<16x2048xi8>) outs(%out : memref<?x16xi32>) {
    ^bb0(%x8: i8, %byte: i8, %acc: i32):
      %c0 = arith.constant 0 : i32
      %c1 = arith.constant 1 : i32
      %c3 = arith.constant 3 : i32
      %c4 = arith.constant 4 : i32
      %k = linalg.index 2 : index
      %code0 = arith.extui %byte : i8 to i32
      %kk = arith.index_cast %k : index to i32
      %r = arith.remui %kk, %c4 : i32
      %sh = arith.shli %r, %c1 : i32
      %s = arith.shrui %code0, %sh : i32
      %code = arith.andi %s, %c3 : i32
      %trit = arith.subi %code, %c1 : i32
      %plus = arith.cmpi sgt, %trit, %c0 : i32
      %minus = arith.cmpi slt, %trit, %c0 : i32
      %x = arith.extsi %x8 : i8 to i32
      %nx = arith.subi %c0, %x : i32
      %m = arith.select %minus, %nx, %c0 : i32
      %term = arith.select %plus, %x, %m : i32
      %sum = arith.addi %acc, %term : i32
      linalg.yield %sum : i32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%out : memref<?x16xi32>) outs(%y : memref<?x16xf32>) {
    ^bb0(%v: i32, %o: f32):
      %f = arith.sitofp %v : i32 to f32
      %d = arith.mulf %f, %scale : f32
      linalg.yield %d : f32
    }
    return
  }
}
