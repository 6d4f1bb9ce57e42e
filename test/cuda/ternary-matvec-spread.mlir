// RUN: tern-opt %s --tern-gpu-ternary-matvec="multiprocessors=4" | FileCheck %s
// RUN: tern-opt %s --tern-gpu-ternary-matvec="multiprocessors=2" | FileCheck %s --check-prefix=DEFAULT
// RUN: tern-opt %s --tern-gpu-ternary-matvec | FileCheck %s --check-prefix=DEFAULT

// A single token's product of 64 rows (one a warp) on a GPU of 4 multiprocessors: 4 blocks of 16
// warps, 16 rows each, so that each multiprocessor computes as many rows. On 2 multiprocessors
// blocks of 32 warps would be needed, more than 16: such a product keeps the default blocks of 8
// warps (8 blocks), as without the option.
// CHECK-LABEL: func.func @spread
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c4, %{{.*}}, %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c512,
// DEFAULT-LABEL: func.func @spread
// DEFAULT: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c8, %{{.*}}, %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c256,
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
module {
  memref.global "private" constant @w : memref<64x16xi8> = dense<85>
  func.func @spread(%q: memref<1x64xi8>) -> memref<1x64xi32> {
    %w = memref.get_global @w : memref<64x16xi8>
    %c0i = arith.constant 0 : i32
    %sums = memref.alloc() : memref<1x64xi32>
    linalg.fill ins(%c0i : i32) outs(%sums : memref<1x64xi32>)
    linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : memref<1x64xi8>, memref<64x16xi8>) outs(%sums : memref<1x64xi32>) {
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
    return %sums : memref<1x64xi32>
  }
}

