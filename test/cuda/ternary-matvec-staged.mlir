// RUN: tern-opt %s --split-input-file --tern-gpu-ternary-matvec="dependent-launch=1 warps-per-block=2" | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-gpu-ternary-matvec="dependent-launch=1 warps-per-block=2 stage-activations=0" | FileCheck %s --check-prefix=OFF

// With dependent launch and every warp of every block given rows (2 rows, 2 warps of a row each),
// the block copies the token's 64 activations (four 16-byte chunks, one per 32-bit word of trits)
// into shared memory after the wait: each of the first four threads one chunk, at its place; a
// barrier; then every warp reads the chunk of each of its words from there (lane L reads chunk
// L + 32 i: consecutive lanes, consecutive chunks), not from global memory. A row this short
// leaves sum(q) to each lane (a dp4a with ones per activation word).
// CHECK-LABEL: func.func @staged
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<1x64xi8>)
// CHECK: gpu.launch {{.*}} threads(%[[TX:[a-z0-9]+]], {{.*}} workgroup(%[[STAGE:.*]] : memref<4xvector<4xi32>, #gpu.address_space<workgroup>>) {
// CHECK: nvvm.griddepcontrol wait
// CHECK: %[[C:.*]] = arith.addi %[[TX]], %c0{{.*}} : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[C]], %c4{{.*}} : index
// CHECK-NEXT: scf.if %[[IN]] {
// CHECK: %[[V:.*]] = vector.load %[[Q]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<1x64xi8>, vector<16xi8>
// CHECK-NEXT: %[[W:.*]] = vector.bitcast %[[V]] : vector<16xi8> to vector<4xi32>
// CHECK-NEXT: memref.store %[[W]], %[[STAGE]][%[[C]]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK-NOT: vector.load %[[Q]]
// CHECK: %[[CHUNK:.*]] = memref.load %[[STAGE]]
// CHECK: %[[A0:.*]] = vector.extract %[[CHUNK]][0]
// CHECK: %[[ONES:.*]] = vector.bitcast %{{.*}} : vector<1xi32> to vector<4xi8>
// CHECK: %[[X0:.*]] = vector.bitcast %{{.*}} : vector<1xi32> to vector<4xi8>
// CHECK-NEXT: nvvm.dot.accumulate.4way %[[ONES]] <unsigned>, %[[X0]] <signed>
// OFF-LABEL: func.func @staged
// OFF-NOT: workgroup
// OFF-NOT: gpu.barrier
// OFF: nvvm.griddepcontrol wait
// OFF: vector.load %arg0
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x16xi8> = dense<[[89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85]]>
  func.func @staged(%q: memref<1x64xi8>) -> memref<1x2xi32> {
    %w = memref.get_global @w : memref<2x16xi8>
    %c0i = arith.constant 0 : i32
    %sums = memref.alloc() : memref<1x2xi32>
    linalg.fill ins(%c0i : i32) outs(%sums : memref<1x2xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<1x64xi8>, memref<2x16xi8>) outs(%sums : memref<1x2xi32>) {
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
      %sv = arith.shrui %code0, %sh : i32
      %code = arith.andi %sv, %c3 : i32
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
    return %sums : memref<1x2xi32>
  }
}


// -----

// A row of 4,096 trits: 256 words, 8 rounds of a lane's, where the 64 threads copy the chunks in 4.
// The block then adds up sum(q): each thread the activations of the chunks it copies (4 dp4a a
// chunk), stored in a second buffer before the barrier; every warp adds the two warps' parts
// (lane L those of threads L and L + 32) with one redux.sync, and subtracts the total once from its row's
// sum: a lane runs 4 dp4a a word (32), none with ones.
// CHECK-LABEL: func.func @long
// CHECK: gpu.launch {{.*}} threads(%[[TX:[a-z0-9]+]], {{.*}} workgroup(%[[STAGE:.*]] : memref<256xvector<4xi32>, #gpu.address_space<workgroup>>, %[[SUMS:.*]] : memref<64xi32, #gpu.address_space<workgroup>>)
// CHECK: nvvm.griddepcontrol wait
// CHECK-COUNT-16: nvvm.dot.accumulate.4way
// CHECK: memref.store %{{.*}}, %[[SUMS]][%[[TX]]]
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-2: memref.load %[[SUMS]]
// CHECK-NOT: memref.load %[[SUMS]]
// CHECK: %[[QSUM:.*]] = nvvm.redux.sync add
// CHECK-COUNT-32: nvvm.dot.accumulate.4way
// CHECK-NOT: nvvm.dot.accumulate.4way
// CHECK: %[[ROW:.*]] = nvvm.redux.sync add
// CHECK-NOT: gpu.shuffle
// CHECK: arith.subi %[[ROW]], %[[QSUM]] : i32
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<2x1024xi8> = dense<85>
  func.func @long(%q: memref<1x4096xi8>) -> memref<1x2xi32> {
    %w = memref.get_global @w : memref<2x1024xi8>
    %c0i = arith.constant 0 : i32
    %sums = memref.alloc() : memref<1x2xi32>
    linalg.fill ins(%c0i : i32) outs(%sums : memref<1x2xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<1x4096xi8>, memref<2x1024xi8>) outs(%sums : memref<1x2xi32>) {
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
      %sv = arith.shrui %code0, %sh : i32
      %code = arith.andi %sv, %c3 : i32
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
    return %sums : memref<1x2xi32>
  }
}

// -----

// Three rows over blocks of two warps: the second block has a warp without rows, which skips the
// kernel's body, so no barrier could be reached by all of the block's threads; each warp reads the
// activations from global memory.
// CHECK-LABEL: func.func @ragged
// CHECK-NOT: workgroup
// CHECK-NOT: gpu.barrier
// CHECK: nvvm.griddepcontrol wait
// CHECK: vector.load %arg0
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<3x16xi8> = dense<[[89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85]]>
  func.func @ragged(%q: memref<1x64xi8>) -> memref<1x3xi32> {
    %w = memref.get_global @w : memref<3x16xi8>
    %c0i = arith.constant 0 : i32
    %sums = memref.alloc() : memref<1x3xi32>
    linalg.fill ins(%c0i : i32) outs(%sums : memref<1x3xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<1x64xi8>, memref<3x16xi8>) outs(%sums : memref<1x3xi32>) {
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
      %sv = arith.shrui %code0, %sh : i32
      %code = arith.andi %sv, %c3 : i32
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
    return %sums : memref<1x3xi32>
  }
}
