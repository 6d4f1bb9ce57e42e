// RUN: tern-opt %s -tern-pack-weights | FileCheck %s --check-prefix=TWO
// RUN: tern-opt %s -tern-pack-weights=packing=base3 | FileCheck %s --check-prefix=BASE3
// RUN: tern-opt %s -tern-pack-weights=packing=two_bit -tern-pack-weights=packing=none | FileCheck %s --check-prefix=NONE
// RUN: not tern-opt %s -tern-pack-weights=packing=nibble 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tern-opt %s -tern-pack-weights=packing=two_bit_tiled | FileCheck %s --check-prefix=TILED
// RUN: tern-opt %s -tern-pack-weights=packing=base3_tiled | FileCheck %s --check-prefix=B3TILED

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
// base3_tiled: one 16-row x 20-column tile of 64 bytes; byte 4r + i = sum_j code_j * 3^j over
// row r, columns 4j + i (j = 0..4). Padding trits have code 1, so a byte of row r whose only real
// trit is column i < 4 is code + 3 + 9 + 27 + 81 = code + 120, and a padding byte is 121 (0x79).
// Row 0 codes 2,0,1,1: 122 120 121 121 (0x7A 0x78 0x79 0x79); row 1 codes 2,1,2,0: 0x7A 0x79 0x7A 0x78.
// B3TILED-LABEL: func.func @pack
// B3TILED: tern.ternary_constant dense_resource<[[B1:.*]]> : tensor<16x4xi8> scale(1.500000e+00) : !tern.trits<2x4, base3_tiled>
// @wide, 1 x 22: columns 20 and 21 go to a second tile. Tile 0, byte 0 holds columns 0, 4, 8, 12,
// 16 = 1, -1, 0, 0, 1 -> codes 2, 0, 1, 1, 2 -> 2 + 0*3 + 1*9 + 1*27 + 2*81 = 200 (0xC8); bytes 1..3
// hold zero trits only (0x79). Tile 1: byte 0 = column 20 (0 -> code 1) + padding = 121 (0x79),
// byte 1 = column 21 (-1 -> code 0) + padding = 120 (0x78). Storage [16, 8]: the two tiles of the
// row group, one after the other.
// B3TILED-LABEL: func.func @wide
// B3TILED: tern.ternary_constant dense_resource<[[B2:.*]]> : tensor<16x8xi8> scale(2.000000e+00) : !tern.trits<1x22, base3_tiled>
// B3TILED: [[B1]]: "0x400000007A7879797A797A787979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
// B3TILED: [[B2]]: "0x40000000C879797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979787979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
// BAD: tern-pack-weights: unknown packing 'nibble' (expected none, two_bit, base3, two_bit_tiled or base3_tiled)
func.func @pack(%q: tensor<?x4xi8>) -> tensor<?x2xi32> {
  %w = tern.ternary_constant dense<[[1, -1, 0, 0], [1, 0, 1, -1]]> : tensor<2x4xi8> scale(1.5) : !tern.trits<2x4, none>
  %a = tern.ternary_accumulate %q, %w : tensor<?x4xi8>, !tern.trits<2x4, none> -> tensor<?x2xi32>
  return %a : tensor<?x2xi32>
}

func.func @wide(%q: tensor<?x22xi8>) -> tensor<?x1xi32> {
  %w = tern.ternary_constant dense<[[1, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1]]> : tensor<1x22xi8> scale(2.0) : !tern.trits<1x22, none>
  %a = tern.ternary_accumulate %q, %w : tensor<?x22xi8>, !tern.trits<1x22, none> -> tensor<?x1xi32>
  return %a : tensor<?x1xi32>
}
