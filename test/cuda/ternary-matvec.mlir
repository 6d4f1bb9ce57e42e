// RUN: tern-opt %s --split-input-file --tern-gpu-ternary-matvec=tensor-cores=false | FileCheck %s

// The two_bit ternary accumulate (as convert-tern-to-linalg writes it, bufferized) becomes a
// kernel with dp4a (a warp per 4 rows), and its weight global is re-laid for it. In the first row only
// trit 17 is +1 (code 2; byte 4 = 0x59 = 89, the rest 0x55 = 85: all trits 0): trit 1 of the second
// 32-bit word, which two_bit keeps in the word's byte 0, bit pair 1, and the re-laid word in its
// byte 1, bit pair 0 (0x56 = 86 at byte 5).
// CHECK: memref.global "private" constant @w : memref<2x16xi8> = dense<{{\[\[}}85, 85, 85, 85, 85, 86, 85, {{.*}}]]> {{.*}}tern.gpu_layout = "two_bit_dp4a_interleaved"
// CHECK-LABEL: func.func @matvec
// CHECK: %[[W:.*]] = memref.get_global @w
// CHECK: %[[T:.*]] = memref.dim %arg0, %c0
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %c1, %{{.*}} = %[[T]], %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c256,
// A warp takes 4 rows (rows past the last are read again as the last one and never stored); the
// loop that streams the rows (no dependent launch) takes four 32-bit words of each row per lane
// at a time: first the 4 rows' 16-byte loads, then per word its 16 activations once, 4 dp4a for
// their sum and 4 per row: the word of trits masked in place (no shift) with 0x03030303 << 2s
// into its own accumulator per s, against activation word s; then per row the accumulators divided by 4^s (arithmetic shifts by 2, 4, 6)
// and added, less the lane's sum of the activations; lane r stores row r.
// CHECK: arith.minui
// CHECK: arith.minui
// CHECK: arith.minui
// CHECK: arith.minui
// CHECK: scf.if
// CHECK: scf.for
// CHECK-COUNT-4: vector.load %[[W]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<2x16xi8>, vector<16xi8>
// CHECK-COUNT-4: vector.load %arg0[%[[BY]], %{{.*}}] {alignment = 16 : i64} : memref<?x64xi8>, vector<16xi8>
// CHECK-NOT: arith.shrui
// CHECK: arith.constant 50529027 : i32
// CHECK-NOT: arith.shrui
// CHECK: arith.constant 202116108 : i32
// CHECK-NOT: arith.shrui
// CHECK: arith.constant 808464432 : i32
// CHECK-NOT: arith.shrui
// CHECK: arith.constant -1061109568 : i32
// CHECK-NOT: arith.shrui
// CHECK: scf.yield
// CHECK: arith.shrsi %{{.*}}, %c2_i32
// CHECK: arith.shrsi %{{.*}}, %c4_i32
// CHECK: arith.shrsi %{{.*}}, %c6_i32
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: arith.subi
// Each of the four rows' sums is one redux.sync over the warp (integers: exact in any order),
// and lane r selects row r's: no shuffles.
// CHECK-NOT: gpu.shuffle
// CHECK: nvvm.redux.sync add
// CHECK: nvvm.redux.sync add
// CHECK: nvvm.redux.sync add
// CHECK: %[[LAST:.*]] = nvvm.redux.sync add
// CHECK-NOT: gpu.shuffle
// CHECK: %[[MINE:.*]] = arith.select %{{.*}}, %[[LAST]], %{{.*}} : i32
// CHECK-NOT: gpu.shuffle
// CHECK: scf.if
// CHECK: %[[OLD:.*]] = memref.load %arg1
// CHECK: arith.addi %[[OLD]], %[[MINE]]
// CHECK: memref.store
// CHECK-NOT: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x16xi8> = dense<[[85, 85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85]]>
  func.func @matvec(%q: memref<?x64xi8>, %out: memref<?x2xi32>) {
    %w = memref.get_global @w : memref<2x16xi8>
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x64xi8>, memref<2x16xi8>) outs(%out : memref<?x2xi32>) {
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
    return
  }
}

// -----

// Rows of 40 trits are not a whole number of 32-bit words: the generic lowering keeps them.
// CHECK-LABEL: func.func @short_rows
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x10xi8> = dense<85>
  func.func @short_rows(%q: memref<?x40xi8>, %out: memref<?x2xi32>) {
    %w = memref.get_global @w : memref<2x10xi8>
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x40xi8>, memref<2x10xi8>) outs(%out : memref<?x2xi32>) {
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
    return
  }
}

// -----

// A weight that is also read elsewhere keeps its two_bit bytes, so no use of it is rewritten.
// CHECK-LABEL: func.func @shared_weight
// CHECK-NOT: tern.gpu_layout
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x16xi8> = dense<85>
  func.func @shared_weight(%q: memref<?x64xi8>, %out: memref<?x2xi32>) -> memref<2x16xi8> {
    %w = memref.get_global @w : memref<2x16xi8>
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x64xi8>, memref<2x16xi8>) outs(%out : memref<?x2xi32>) {
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
    return %w : memref<2x16xi8>
  }
}

// -----

// A body that decodes differently (here: the trit is the code itself) is not the two_bit
// accumulate, whatever its maps say.
// CHECK-LABEL: func.func @other_decoding
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x16xi8> = dense<85>
  func.func @other_decoding(%q: memref<?x64xi8>, %out: memref<?x2xi32>) {
    %w = memref.get_global @w : memref<2x16xi8>
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x64xi8>, memref<2x16xi8>) outs(%out : memref<?x2xi32>) {
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
      %trit = arith.addi %code, %c0 : i32
      %plus = arith.cmpi sgt, %trit, %c0 : i32
      %minus = arith.cmpi slt, %trit, %c0 : i32
      %x = arith.extsi %x8 : i8 to i32
      %nx = arith.subi %c0, %x : i32
      %m = arith.select %minus, %nx, %c0 : i32
      %term = arith.select %plus, %x, %m : i32
      %sum = arith.addi %acc, %term : i32
      linalg.yield %sum : i32
    }
    return
  }
}

// -----

// The product's two halves of rows combined next element by element (the GLU: gate_proj's rows
// 0..3 and 4..7, through two subviews of the dequantized sums): a single token's product of so few
// rows still takes 2 rows per warp, row k and row 4 + k; the warps past the 4th (8 a block) have no
// rows and skip everything. Every lane evaluates the epilogue (the
// sum and its dequantization, stored only where the lane has a row), lane 0 takes lane 1's value
// with a shuffle down by 1 and computes the combination for element k. The combining generic is
// gone.
// CHECK-LABEL: func.func @halves
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x8xi32>
// CHECK: %[[F:.*]] = memref.alloc() : memref<1x8xf32>
// CHECK: %[[P:.*]] = memref.alloc() : memref<1x4xf32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}}) threads
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c1{{.*}} : index
// CHECK: %[[HAS:.*]] = arith.cmpi ule, %[[FIRST]], %c3 : index
// CHECK: scf.if %[[HAS]]
// CHECK: scf.for
// CHECK: memref.load %[[OUT]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: %[[V:.*]] = arith.sitofp
// CHECK: scf.if
// CHECK: memref.store %[[V]], %[[F]]
// CHECK: %[[HIGH:.*]], %{{.*}} = gpu.shuffle  down %[[V]], %c1_i32
// CHECK: %[[GLU:.*]] = arith.mulf %[[V]], %[[HIGH]]
// CHECK: scf.if
// CHECK: memref.store %[[GLU]], %[[P]]
// CHECK-NOT: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
module {
  memref.global "private" constant @w : memref<8x16xi8> = dense<[[89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 89, 85, 85, 85, 85, 85, 85, 85, 85]]>
  func.func @halves(%q: memref<1x64xi8>) -> memref<1x4xf32> {
    %w = memref.get_global @w : memref<8x16xi8>
    %out = memref.alloc() : memref<1x8xi32>
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<1x64xi8>, memref<8x16xi8>) outs(%out : memref<1x8xi32>) {
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
    %f = memref.alloc() : memref<1x8xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%out : memref<1x8xi32>) outs(%f : memref<1x8xf32>) {
    ^bb0(%a: i32, %o: f32):
      %v = arith.sitofp %a : i32 to f32
      linalg.yield %v : f32
    }
    %gate = memref.subview %f[0, 0] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1]>>
    %up = memref.subview %f[0, 4] [1, 4] [1, 1] : memref<1x8xf32> to memref<1x4xf32, strided<[8, 1], offset: 4>>
    %p = memref.alloc() : memref<1x4xf32>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%gate, %up : memref<1x4xf32, strided<[8, 1]>>, memref<1x4xf32, strided<[8, 1], offset: 4>>)
        outs(%p : memref<1x4xf32>) {
    ^bb0(%g: f32, %u: f32, %o: f32):
      %v = arith.mulf %g, %u : f32
      linalg.yield %v : f32
    }
    return %p : memref<1x4xf32>
  }
}
