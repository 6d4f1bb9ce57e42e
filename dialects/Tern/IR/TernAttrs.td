//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//
#ifndef TERN_ATTRS_TD
#define TERN_ATTRS_TD

include "dialects/Tern/IR/TernDialect.td"
include "mlir/IR/EnumAttr.td"

def Tern_PackingNone : I32EnumAttrCase<"none", 0>;
def Tern_PackingTwoBit : I32EnumAttrCase<"two_bit", 1>;
def Tern_PackingBase3 : I32EnumAttrCase<"base3", 2>;

def Tern_Packing : I32EnumAttr<"Packing", "how trits are stored in bytes",
    [Tern_PackingNone, Tern_PackingTwoBit, Tern_PackingBase3]> {
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
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // TERN_ATTRS_TD
