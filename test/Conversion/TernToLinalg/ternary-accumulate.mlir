// RUN: tern-opt %s -convert-tern-to-linalg | FileCheck %s

// The accumulate of each packing reads its weight byte through the packing's
// map, and the generic carries the packing for backends (KernelMarkers.h).
// two_bit_tiled: byte 64*(k/16) + 4*(n%16) + k%4 of the run of storage rows
// 16*(n/16).., bit pair (k%16)/4.
// CHECK-DAG: #[[ROWMAJOR:.*]] = affine_map<(d0, d1, d2) -> (d1, d2 floordiv 4)>
// CHECK-DAG: #[[TILED:.*]] = affine_map<(d0, d1, d2) -> ((d1 floordiv 16) * 16 + ((d2 floordiv 16) * 64 + (d1 mod 16) * 4 + d2 mod 4) floordiv 8, ((d2 floordiv 16) * 64 + (d1 mod 16) * 4 + d2 mod 4) mod 8)>
// base3_tiled: the same with 20 columns a tile, base-3 digit (k%20)/4.
// CHECK-DAG: #[[B3TILED:.*]] = affine_map<(d0, d1, d2) -> ((d1 floordiv 16) * 16 + ((d2 floordiv 20) * 64 + (d1 mod 16) * 4 + d2 mod 4) floordiv 8, ((d2 floordiv 20) * 64 + (d1 mod 16) * 4 + d2 mod 4) mod 8)>

// CHECK-LABEL: func.func @two_bit
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROWMAJOR]], #{{.*}}]
// CHECK-SAME: {tern.ternary_accumulate = #tern.packing<two_bit>}
func.func @two_bit(%q: tensor<?x20xi8>) -> tensor<?x3xi32> {
  %t = tern.ternary_constant dense<85> : tensor<3x5xi8> scale(1.0) : !tern.trits<3x20, two_bit>
  %a = tern.ternary_accumulate %q, %t : tensor<?x20xi8>, !tern.trits<3x20, two_bit> -> tensor<?x3xi32>
  return %a : tensor<?x3xi32>
}

// Storage [16, 8]: rows rounded up to a tile, 4 * ceil(20 / 16) bytes per row.
// CHECK-LABEL: func.func @two_bit_tiled
// CHECK: arith.constant dense<85> : tensor<16x8xi8>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[TILED]], #{{.*}}]
// CHECK-SAME: {tern.ternary_accumulate = #tern.packing<two_bit_tiled>}
// CHECK: arith.remui %{{.*}}, %c16_i32
// CHECK: arith.divui %{{.*}}, %c4_i32
func.func @two_bit_tiled(%q: tensor<?x20xi8>) -> tensor<?x3xi32> {
  %t = tern.ternary_constant dense<85> : tensor<16x8xi8> scale(1.0) : !tern.trits<3x20, two_bit_tiled>
  %a = tern.ternary_accumulate %q, %t : tensor<?x20xi8>, !tern.trits<3x20, two_bit_tiled> -> tensor<?x3xi32>
  return %a : tensor<?x3xi32>
}

// Storage [16, 8]: 4 * ceil(22 / 20) bytes per row; 121 is five zero trits (code 1 each).
// CHECK-LABEL: func.func @base3_tiled
// CHECK: arith.constant dense<121> : tensor<16x8xi8>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B3TILED]], #{{.*}}]
// CHECK-SAME: {tern.ternary_accumulate = #tern.packing<base3_tiled>}
// CHECK: arith.remui %{{.*}}, %c20_i32
// CHECK: arith.divui %{{.*}}, %c4_i32
func.func @base3_tiled(%q: tensor<?x22xi8>) -> tensor<?x3xi32> {
  %t = tern.ternary_constant dense<121> : tensor<16x8xi8> scale(1.0) : !tern.trits<3x22, base3_tiled>
  %a = tern.ternary_accumulate %q, %t : tensor<?x22xi8>, !tern.trits<3x22, base3_tiled> -> tensor<?x3xi32>
  return %a : tensor<?x3xi32>
}

// An RMS norm's sum of squares is marked, so a backend may sum in the reference's order.
// CHECK-LABEL: func.func @norm
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: {tern.row_sum_of_squares}
func.func @norm(%x: tensor<?x8xf32>, %w: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = tern.rms_norm %x, %w eps(1.0e-6) : tensor<?x8xf32>, tensor<8xf32>
  return %y : tensor<?x8xf32>
}
