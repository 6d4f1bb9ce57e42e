// RUN: tern-opt %s -tern-cpu-kernel-calls | FileCheck %s

// Marked generics become calls of one external declaration per kernel, with
// the memref C interface and fully dynamic operand types; the rest stays.
// CHECK-DAG: func.func private @tern_kernel_ternary_matmul_two_bit_tiled(memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi8, strided<[?, ?], offset: ?>>, memref<?x?xi32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tern_kernel_row_sum_of_squares_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>) attributes {llvm.emit_c_interface}

#x = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k floordiv 4)>
#o = affine_map<(t, n, k) -> (t, n)>
#row = affine_map<(t, k) -> (t, k)>
#sum = affine_map<(t, k) -> (t)>

// Two shapes share one declaration.
// CHECK-LABEL: func.func @accumulates
// CHECK-COUNT-2: call @tern_kernel_ternary_matmul_two_bit_tiled(
// CHECK-NOT: linalg.generic
func.func @accumulates(%q: memref<?x16xi8>, %w: memref<16x4xi8>, %out: memref<?x16xi32>,
                       %w2: memref<32x4xi8>, %out2: memref<?x32xi32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %w : memref<?x16xi8>, memref<16x4xi8>) outs(%out : memref<?x16xi32>)
      attrs = {tern.ternary_accumulate = #tern.packing<two_bit_tiled>} {
  ^bb0(%a: i8, %b: i8, %c: i32):
    linalg.yield %c : i32
  }
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %w2 : memref<?x16xi8>, memref<32x4xi8>) outs(%out2 : memref<?x32xi32>)
      attrs = {tern.ternary_accumulate = #tern.packing<two_bit_tiled>} {
  ^bb0(%a: i8, %b: i8, %c: i32):
    linalg.yield %c : i32
  }
  return
}

// CHECK-LABEL: func.func @norm
// CHECK: %[[X:.*]] = memref.cast %arg0 : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[S:.*]] = memref.cast %arg1 : memref<?xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK: call @tern_kernel_row_sum_of_squares_f32(%[[X]], %[[S]])
func.func @norm(%x: memref<?x8xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#row, #sum], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x8xf32>) outs(%s : memref<?xf32>) attrs = {tern.row_sum_of_squares} {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %b, %m : f32
    linalg.yield %r : f32
  }
  return
}

// Unmarked generics, and marked ones of types no kernel takes (float sums), stay.
// CHECK-LABEL: func.func @others
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: call
func.func @others(%q: memref<?x16xf32>, %w: memref<16x4xi8>, %out: memref<?x16xf32>,
                  %x: memref<?x8xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %w : memref<?x16xf32>, memref<16x4xi8>) outs(%out : memref<?x16xf32>)
      attrs = {tern.ternary_accumulate = #tern.packing<two_bit>} {
  ^bb0(%a: f32, %b: i8, %c: f32):
    linalg.yield %c : f32
  }
  linalg.generic {indexing_maps = [#row, #sum], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x8xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %b : f32
  }
  return
}
