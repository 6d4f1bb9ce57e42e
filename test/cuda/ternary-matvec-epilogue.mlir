// RUN: tern-opt %s --tern-gpu-ternary-matvec="dependent-launch=1" | FileCheck %s

// The product's epilogue (here: dequantize with the activation scale %s, times a constant row
// weight) reads inputs besides the sums. With dependent launch, its constant input is loaded with
// the matrix's weights, before the wait; the scale, which the kernel before writes, right after
// the wait, with the activations; both at the lane's row clamped to the last row. The epilogue
// then takes them from those registers: no load of them follows the sums.
// CHECK-LABEL: func.func @epilogue
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: memref<1x64xi8>, %[[S:[a-z0-9]+]]: memref<1xf32>)
// CHECK: %[[G:.*]] = memref.get_global @gain
// CHECK: gpu.launch
// CHECK: vector.load %{{.*}} : memref<2x16xi8>, vector<4xi8>
// CHECK: %[[GAIN:.*]] = memref.load %[[G]][%{{.*}}] : memref<2xf32>
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK: %[[SCALE:.*]] = memref.load %[[S]][%{{.*}}] : memref<1xf32>
// CHECK: vector.load %[[Q]]
// CHECK: nvvm.redux.sync add
// CHECK-NOT: memref.load %[[G]]
// CHECK-NOT: memref.load %[[S]]
// CHECK: arith.divf %{{.*}}, %[[SCALE]] : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[GAIN]] : f32
// CHECK: memref.store
#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
#row = affine_map<(t, n) -> (t)>
#col = affine_map<(t, n) -> (n)>
module {
  memref.global "private" constant @w : memref<2x16xi8> = dense<[[89, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85], [85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85, 85]]>
  memref.global "private" constant @gain : memref<2xf32> = dense<[2.0, 3.0]>
  func.func @epilogue(%q: memref<1x64xi8>, %s: memref<1xf32>) -> memref<1x2xf32> {
    %w = memref.get_global @w : memref<2x16xi8>
    %gain = memref.get_global @gain : memref<2xf32>
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
    %out = memref.alloc() : memref<1x2xf32>
    linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
        ins(%sums, %s, %gain : memref<1x2xi32>, memref<1xf32>, memref<2xf32>) outs(%out : memref<1x2xf32>) {
    ^bb0(%v: i32, %scale: f32, %g: f32, %o: f32):
      %f = arith.sitofp %v : i32 to f32
      %d = arith.divf %f, %scale : f32
      %e = arith.mulf %d, %g : f32
      linalg.yield %e : f32
    }
    return %out : memref<1x2xf32>
  }
}
