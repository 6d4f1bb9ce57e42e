//===- Packing.h - trit byte layouts ----------------------------*- C++ -*-===//
//
// The byte layouts of #tern.packing, shared by the passes that write them and
// the lowerings that read them, so there is one definition of each layout.
//
#ifndef TERN_IR_PACKING_H
#define TERN_IR_PACKING_H

#include "dialects/Tern/IR/TernDialect.h"
#include <array>
#include <cstdint>

namespace mlir::tern {

/// Trits per storage byte in `packing` (1, 4 or 5; 4 for two_bit_tiled, 5
/// for base3_tiled).
int64_t tritsPerByte(Packing packing);

/// Bytes per storage row of a matrix with `cols` trits per row in `packing`
/// (for two_bit_tiled, a storage row is not one matrix row: see storageShape).
int64_t packedRowBytes(int64_t cols, Packing packing);

/// Whether storage row n holds exactly matrix row n (none, two_bit, base3);
/// two_bit_tiled and base3_tiled interleave 16 rows per tile.
bool isRowMajor(Packing packing);

/// The shape [storage rows, bytes per storage row] of a `rows` x `cols`
/// trit matrix in `packing`: [rows, packedRowBytes] for the row-major
/// packings, [rows rounded up to 16, 4 * ceil(cols / tileCols)] for the
/// tiled ones.
std::array<int64_t, 2> storageShape(int64_t rows, int64_t cols, Packing packing);

/// Tile geometry of two_bit_tiled (TernAttrs.td): 16 x 16 trits in 64 bytes.
constexpr int64_t kTileRows = 16, kTileCols = 16, kTileBytes = 64;
/// base3_tiled: 16 x 20 trits in 64 bytes (5 base-3 digits a byte).
constexpr int64_t kBase3TileCols = 20;

/// Columns per 64-byte tile of a tiled packing: 16 (two_bit_tiled) or 20
/// (base3_tiled).
int64_t tileCols(Packing packing);

/// Packs one row of `cols` trits (each -1, 0 or 1) into `out`
/// (packedRowBytes(cols, packing) bytes). Row-major packings only.
void packTritRow(const int8_t *trits, int64_t cols, Packing packing, uint8_t *out);

/// Unpacks one row; the inverse of packTritRow. Row-major packings only.
void unpackTritRow(const uint8_t *packed, int64_t cols, Packing packing, int8_t *out);

/// Packs a row-major `rows` x `cols` matrix of trits into `out`, which holds
/// storageShape(rows, cols, packing) bytes. Any packing.
void packTrits(const int8_t *trits, int64_t rows, int64_t cols, Packing packing, uint8_t *out);

/// Unpacks a whole matrix; the inverse of packTrits.
void unpackTrits(const uint8_t *packed, int64_t rows, int64_t cols, Packing packing, int8_t *out);

} // namespace mlir::tern

#endif // TERN_IR_PACKING_H
