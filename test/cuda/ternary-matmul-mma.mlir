// RUN: tern-opt %s --split-input-file --tern-gpu-ternary-matvec | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-gpu-ternary-matvec=dependent-launch=1 \
// RUN:   | FileCheck %s --check-prefix=DL

// A product of several tokens (prefill, batch decode) whose rows are a multiple of 16 and columns
// of 64 runs on the tensor cores. A block of 4 warps takes 16 rows (here; in prefill 32 where the
// rows allow, @halves below) and 32 tokens (grid y = the token count divided by 32, rounded up);
// its warps split the chunks of 128 columns (4 steps of
// 32, the k of m16n8k32), 2 chunks at a time with every load first: per chunk two words (32 trits)
// of each of the lane's two rows (rows lane / 4 and lane / 4 + 8), and the 32 activations of the
// same columns (two 16-byte loads) of its token in each of the 4 tiles of 8 tokens; then per step
// the trits of 4 columns in each byte (the word shifted, masked with 0x03030303, each code c made
// c - 1 as ((c | 0x80) - 1) ^ 0x80) and one mma.sync m16n8k32 of s8 trits and s8 activations per
// tile; then the remaining chunks one at a time.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[T:.*]] = memref.dim %arg0, %c0
// CHECK: %[[UP:.*]] = arith.addi %[[T]], %c31
// CHECK: %[[BY:.*]] = arith.divui %[[UP]], %c32
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c1, %{{.*}} = %[[BY]], %{{.*}} = %{{.*}}) threads({{.*}}) in (%{{.*}} = %c128, {{.*}} workgroup(%[[SHARED:.*]] : memref<2048xi32, #gpu.address_space<workgroup>>)
// CHECK: %[[MAIN:.*]]:16 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2{{.*}} iter_args(
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x32xi8>, vector<8xi8>
// CHECK-COUNT-8: vector.load %arg0[{{.*}}] {alignment = 16 : i64} : memref<?x128xi8>, vector<16xi8>
// CHECK-COUNT-2: vector.load %{{.*}} : memref<16x32xi8>, vector<8xi8>
// CHECK-COUNT-8: vector.load %arg0
// CHECK-NOT: vector.load
// CHECK: %[[CODES:.*]] = arith.andi %{{.*}}, %c50529027_i32
// CHECK: %[[SET:.*]] = arith.ori %[[CODES]], %c-2139062144_i32
// CHECK: %[[LESS:.*]] = arith.subi %[[SET]], %c16843009_i32
// CHECK: arith.xori %[[LESS]], %c-2139062144_i32
// CHECK: nvvm.mma.sync {{.*}}intOverflowBehavior = #nvvm.mma_int_overflow<wrapped>, layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<s8>, multiplicandBPtxType = #nvvm.mma_type<s8>, shape = #nvvm.shape<m = 16, n = 8, k = 32>
// CHECK-COUNT-31: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
// CHECK: %[[REST:.*]]:16 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1{{.*}} iter_args({{.*}} = %[[MAIN]]#0,
// CHECK-COUNT-16: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
// Every warp's 16 sums go to shared memory; after a barrier, warp w adds up the 4 warps' sums of
// its token tile, and each lane stores its 4 where the token exists, then runs the elementwise op
// after the product (here the dequantization) on each, from one copy in a loop. The product
// starts from a fill of 0, so the loop takes each sum from the lane's registers (selected by the
// loop's index), not from memory.
// CHECK: memref.store %[[REST]]#0, %[[SHARED]]
// CHECK-COUNT-15: memref.store %[[REST]]#{{[0-9]+}}, %[[SHARED]]
// CHECK: gpu.barrier
// CHECK-COUNT-16: memref.load %[[SHARED]]
// CHECK-COUNT-4: memref.store %{{.*}}, %arg1
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4
// CHECK-NOT: memref.load
// CHECK: arith.select {{.*}} : i32
// CHECK-NOT: memref.load
// CHECK: arith.select {{.*}} : i32
// CHECK: %[[SUM:.*]] = arith.select {{.*}} : i32
// CHECK-NOT: memref.load
// CHECK: %[[F:.*]] = arith.sitofp %[[SUM]] : i32 to f32
// CHECK: arith.mulf %[[F]], %cst
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: linalg.generic
// With dependent launch, each warp loads the weights of its first chunks (here its only one, or
// none: warps 1-3 of a single chunk) before it waits for the kernel before this one; a chunk past
// the warp's end counts as trits 0 (0x55555555: code 1 in every bit pair). The activations follow
// the wait, and the loops take what remains.
// DL-LABEL: func.func @matmul
// DL: %[[IN:.*]] = arith.cmpi ult
// DL: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x32xi8>, vector<8xi8>
// DL: vector.load %{{.*}} {alignment = 8 : i64} : memref<16x32xi8>, vector<8xi8>
// DL-NOT: vector.load
// DL-COUNT-4: arith.select %[[IN]], %{{.*}}, %c1431655765_i32
// DL-NOT: vector.load
// DL: nvvm.griddepcontrol wait
// DL-COUNT-8: vector.load %arg0
// DL-NOT: vector.load
// DL-COUNT-16: nvvm.mma.sync
// DL: scf.for
// DL: scf.for
// DL-NOT: nvvm.griddepcontrol
// DL-LABEL: func.func
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
module {
  memref.global "private" constant @w : memref<16x32xi8> = dense<85>
  func.func @matmul(%q: memref<?x128xi8>, %out: memref<?x16xi32>, %y: memref<?x16xf32>) {
    %w = memref.get_global @w : memref<16x32xi8>
    %zero = arith.constant 0 : i32
    %scale = arith.constant 0.5 : f32
    linalg.fill ins(%zero : i32) outs(%out : memref<?x16xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x128xi8>, memref<16x32xi8>) outs(%out : memref<?x16xi32>) {
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

// -----

// A product whose two halves of rows are combined next (the GLU of gate_proj), here of a prefill's
// dynamic token count, with rows a multiple of 32: a block takes 2 row tiles (prefill), so that
// each activation fragment a warp loads goes into the mma.sync of both (8 per step, 32 sums a
// lane). Row tile r of block bx holds rows 8 (2 bx + r) + lane / 4 of the first half and the same
// of the second, so that each lane holds the sums of both halves of a token; the loop over its 8
// sums (4 a row tile) takes a token's low half, then its high half, carrying the low half's value
// (after the elementwise ops that follow the product) to the high half's turn, which combines the
// two and stores the result at the row of its row tile's first half.
// CHECK-LABEL: func.func @halves
// CHECK: gpu.launch {{.*}} workgroup(%{{.*}} : memref<4096xi32, #gpu.address_space<workgroup>>)
// CHECK: %[[GROUP:.*]] = arith.divui %{{.*}}, %c4
// CHECK: %[[BASE0:.*]] = arith.muli %{{.*}}, %c8
// CHECK: %[[LOW0:.*]] = arith.addi %[[BASE0]], %[[GROUP]]
// CHECK: %[[HIGH0:.*]] = arith.addi %[[LOW0]], %c16
// CHECK: %[[BASE1:.*]] = arith.muli %{{.*}}, %c8
// CHECK: %[[LOW1:.*]] = arith.addi %[[BASE1]], %[[GROUP]]
// CHECK: %[[HIGH1:.*]] = arith.addi %[[LOW1]], %c16
// CHECK: %{{.*}}:32 = scf.for
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
// CHECK: scf.for %[[E:.*]] = %c0{{.*}} to %c8{{.*}} step %c1{{.*}} iter_args(%[[PREV:.*]] = %cst{{.*}}) -> (f32)
// CHECK: %[[IS4:.*]] = arith.cmpi eq, %[[E]], %c4
// CHECK-NEXT: arith.select %[[IS4]], %[[LOW1]]
// CHECK-NEXT: arith.select
// CHECK-NEXT: arith.select %[[IS4]], %[[LOW1]]
// CHECK: %[[IS7:.*]] = arith.cmpi eq, %[[E]], %c7
// CHECK-NEXT: arith.select %[[IS7]], %[[HIGH1]]
// CHECK-NEXT: arith.select
// CHECK-NEXT: %[[L:.*]] = arith.select %[[IS7]], %[[LOW1]]
// CHECK-NEXT: %[[SUM:.*]] = arith.select {{.*}} : i32
// CHECK: %[[IF:.*]] = scf.if %{{.*}} -> (f32)
// CHECK-NOT: memref.load
// CHECK: %[[F:.*]] = arith.sitofp %[[SUM]] : i32 to f32
// CHECK: %[[Y:.*]] = arith.mulf %[[F]]
// CHECK: %[[BIT:.*]] = arith.andi %[[E]], %c1
// CHECK: %[[ISHIGH:.*]] = arith.cmpi eq, %[[BIT]], %c1
// CHECK: %[[GLU:.*]] = arith.mulf %[[PREV]], %[[Y]]
// CHECK: scf.if %[[ISHIGH]]
// CHECK: memref.store %[[GLU]], %arg3[%{{.*}}, %[[L]]]
// CHECK: scf.yield %[[Y]]
// CHECK: } else {
// CHECK: scf.yield %[[PREV]]
// CHECK: scf.yield %[[IF]]
// CHECK-NOT: linalg.generic
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
module {
  memref.global "private" constant @w : memref<32x32xi8> = dense<85>
  func.func @halves(%q: memref<?x128xi8>, %out: memref<?x32xi32>, %y: memref<?x32xf32>, %glu: memref<?x16xf32>) {
    %c0 = arith.constant 0 : index
    %t = memref.dim %q, %c0 : memref<?x128xi8>
    %w = memref.get_global @w : memref<32x32xi8>
    %zero = arith.constant 0 : i32
    %scale = arith.constant 0.5 : f32
    %sums = memref.alloc(%t) : memref<?x32xf32>
    linalg.fill ins(%zero : i32) outs(%out : memref<?x32xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<?x128xi8>, memref<32x32xi8>) outs(%out : memref<?x32xi32>) {
    ^bb0(%x8: i8, %byte: i8, %acc: i32):
      %c0i = arith.constant 0 : i32
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
      %plus = arith.cmpi sgt, %trit, %c0i : i32
      %minus = arith.cmpi slt, %trit, %c0i : i32
      %x = arith.extsi %x8 : i8 to i32
      %nx = arith.subi %c0i, %x : i32
      %m = arith.select %minus, %nx, %c0i : i32
      %term = arith.select %plus, %x, %m : i32
      %sum = arith.addi %acc, %term : i32
      linalg.yield %sum : i32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%out : memref<?x32xi32>) outs(%sums : memref<?x32xf32>) {
    ^bb0(%v: i32, %o: f32):
      %f = arith.sitofp %v : i32 to f32
      %d = arith.mulf %f, %scale : f32
      linalg.yield %d : f32
    }
    %lowHalf = memref.subview %sums[0, 0] [%t, 16] [1, 1] : memref<?x32xf32> to memref<?x16xf32, strided<[32, 1]>>
    %highHalf = memref.subview %sums[0, 16] [%t, 16] [1, 1] : memref<?x32xf32> to memref<?x16xf32, strided<[32, 1], offset: 16>>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%lowHalf, %highHalf : memref<?x16xf32, strided<[32, 1]>>, memref<?x16xf32, strided<[32, 1], offset: 16>>)
        outs(%glu : memref<?x16xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %p = arith.mulf %a, %b : f32
      linalg.yield %p : f32
    }
    return
  }
}
