//===- Packing.h - trit byte layouts ----------------------------*- C++ -*-===//
//
// The byte layouts of #tern.packing, shared by the passes that write them and
// the lowerings that read them, so there is one definition of each layout.
//
#ifndef TERN_IR_PACKING_H
#define TERN_IR_PACKING_H

#include "dialects/Tern/IR/TernDialect.h"
#include <cstdint>

namespace mlir::tern {

/// Trits per storage byte in `packing` (1, 4 or 5).
int64_t tritsPerByte(Packing packing);

/// Bytes that one row of `cols` trits occupies in `packing`.
int64_t packedRowBytes(int64_t cols, Packing packing);

/// Packs one row of `cols` trits (each -1, 0 or 1) into `out`
/// (packedRowBytes(cols, packing) bytes).
void packTritRow(const int8_t *trits, int64_t cols, Packing packing, uint8_t *out);

/// Unpacks one row; the inverse of packTritRow.
void unpackTritRow(const uint8_t *packed, int64_t cols, Packing packing, int8_t *out);

} // namespace mlir::tern

#endif // TERN_IR_PACKING_H
