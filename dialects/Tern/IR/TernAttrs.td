//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//
#ifndef TERN_ATTRS_TD
#define TERN_ATTRS_TD

include "dialects/Tern/IR/TernDialect.td"
include "mlir/IR/EnumAttr.td"

def Tern_PackingNone : I32EnumAttrCase<"none", 0>;
def Tern_PackingTwoBit : I32EnumAttrCase<"two_bit", 1>;
def Tern_PackingBase3 : I32EnumAttrCase<"base3", 2>;
def Tern_PackingTwoBitTiled : I32EnumAttrCase<"two_bit_tiled", 3>;
def Tern_PackingBase3Tiled : I32EnumAttrCase<"base3_tiled", 4>;

def Tern_Packing : I32EnumAttr<"Packing", "how trits are stored in bytes",
    [Tern_PackingNone, Tern_PackingTwoBit, Tern_PackingBase3, Tern_PackingTwoBitTiled,
     Tern_PackingBase3Tiled]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_PackingAttr : EnumAttr<Tern_Dialect, Tern_Packing, "packing"> {
  let summary = "The byte layout of a ternary weight";
  let description = [{
    - `none`: one signed byte per trit, row-major `[N, K]`.
    - `two_bit`: four trits per byte along K, trit `k` of a row in bits
      `2*(k%4)` and `2*(k%4)+1` of byte `k/4`, stored as `t + 1`
      (0 = -1, 1 = 0, 2 = +1); rows padded with code 1 (zero). Storage `[N, ceil(K/4)]`.
    - `base3`: five trits per byte along K, byte = sum of `(t_i + 1) * 3^i`;
      rows padded with zero trits. Storage `[N, ceil(K/5)]`.
    - `two_bit_tiled`: the codes of `two_bit` in tiles of 16 rows x 16
      columns, 64 bytes each, for the CPU microkernels (VNNI, dotprod):
      rows are padded to a multiple of 16 and columns to a multiple of 16
      with zero trits; tile `(g, c)` (rows `16g..`, columns `16c..`) is bytes
      `[64c, 64c + 64)` of storage rows `16g..16g+15` read as one
      row-major run; byte `4r + i` of a tile holds, in bits `2j` and `2j+1`,
      row `16g + r`, column `16c + 4j + i`. Masking bit pair `j` of a tile
      gives a 16 x 4 block that one dot-product instruction consumes against
      4 activation bytes. Storage `[ceil(N/16)*16, 4*ceil(K/16)]`.
    - `base3_tiled`: the base-3 digits of `base3` in tiles of 16 rows x 20
      columns, 64 bytes each (1.6 bits per trit), for the AVX-512 VBMI
      decode kernel: rows are padded to a multiple of 16 and columns to a
      multiple of 20 with zero trits; tile `(g, c)` (rows `16g..`, columns
      `20c..`) is bytes `[64c, 64c + 64)` of storage rows `16g..16g+15` read
      as one row-major run; byte `4r + i` of a tile is
      `sum_j (t_j + 1) * 3^j` (`j = 0..4`) where `t_j` is row `16g + r`,
      column `20c + 4j + i`. Digit `j` of a tile is a 16 x 4 block, as bit
      pair `j` of `two_bit_tiled`. Storage `[ceil(N/16)*16, 4*ceil(K/20)]`.
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // TERN_ATTRS_TD
