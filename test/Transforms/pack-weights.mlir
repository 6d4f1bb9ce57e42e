// RUN: tern-opt %s -tern-pack-weights | FileCheck %s --check-prefix=TWO
// RUN: tern-opt %s -tern-pack-weights=packing=base3 | FileCheck %s --check-prefix=BASE3
// RUN: tern-opt %s -tern-pack-weights=packing=two_bit -tern-pack-weights=packing=none | FileCheck %s --check-prefix=NONE
// RUN: not tern-opt %s -tern-pack-weights=packing=nibble 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tern-opt %s -tern-pack-weights=packing=two_bit_tiled | FileCheck %s --check-prefix=TILED

// Row 0 = [1, -1, 0, 0] -> codes 2,0,1,1; row 1 = [1, 0, 1, -1] -> codes 2,1,2,0.
// two_bit: 2 + 0*4 + 1*16 + 1*64 = 82 and 2 + 1*4 + 2*16 + 0*64 = 38.
// base3 (one padding digit of code 1): 2 + 0 + 9 + 27 + 81 = 119 and 2 + 3 + 18 + 0 + 81 = 104 (-152 as i8).
// TWO-LABEL: func.func @pack
// TWO: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}82], [38]]> : tensor<2x1xi8> scale(1.500000e+00) : !tern.trits<2x4, two_bit>
// TWO: tern.ternary_accumulate %{{.*}}, %[[W]] : tensor<?x4xi8>, !tern.trits<2x4, two_bit> -> tensor<?x2xi32>
// BASE3: tern.ternary_constant dense<{{\[\[}}119], [104]]> : tensor<2x1xi8> scale(1.500000e+00) : !tern.trits<2x4, base3>
// NONE: tern.ternary_constant dense<{{\[\[}}1, -1, 0, 0], [1, 0, 1, -1]]> : tensor<2x4xi8> scale(1.500000e+00) : !tern.trits<2x4, none>
// two_bit_tiled: one 16-row x 16-column tile of 64 bytes (rows 2..15 and columns 4..15 are zero
// trits, code 1 in every bit pair: 0x55); byte 4r + i holds row r, column i in its low bit pair.
// Row 0: 0x56 0x54 0x55 0x55; row 1: 0x56 0x55 0x56 0x54. The blob starts with its alignment (64).
// TILED: tern.ternary_constant dense_resource<[[BLOB:.*]]> : tensor<16x4xi8> scale(1.500000e+00) : !tern.trits<2x4, two_bit_tiled>
// TILED: [[BLOB]]: "0x4000000056545555565556545555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
// BAD: tern-pack-weights: unknown packing 'nibble' (expected none, two_bit, base3 or two_bit_tiled)
func.func @pack(%q: tensor<?x4xi8>) -> tensor<?x2xi32> {
  %w = tern.ternary_constant dense<[[1, -1, 0, 0], [1, 0, 1, -1]]> : tensor<2x4xi8> scale(1.5) : !tern.trits<2x4, none>
  %a = tern.ternary_accumulate %q, %w : tensor<?x4xi8>, !tern.trits<2x4, none> -> tensor<?x2xi32>
  return %a : tensor<?x2xi32>
}
