//===- TernTypes.td - tern types ---------------------------*- tablegen -*-===//
#ifndef TERN_TYPES_TD
#define TERN_TYPES_TD

include "dialects/Tern/IR/TernAttrs.td"

def Tern_TritsType : TypeDef<Tern_Dialect, "Trits"> {
  let mnemonic = "trits";
  let summary = "A ternary weight matrix: N rows of K trits in a given packing";
  let description = [{
    The logical shape is `[rows, cols]` = `[N, K]` (out features, in
    features); the packing says how the trits sit in bytes (see
    `#tern.packing`). Example: `!tern.trits<2816x1024, two_bit>`.
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$cols,
                        "::mlir::tern::Packing":$packing);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes per row in this packing.
    int64_t getRowBytes() const;
    /// The tensor type that holds the packed bytes: tensor<N x rowBytes x i8>
    /// (rows rounded up to a tile for two_bit_tiled; see storageShape).
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

#endif // TERN_TYPES_TD
