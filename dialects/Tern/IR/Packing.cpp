//===- Packing.cpp - trit byte layouts ------------------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <utility>

namespace mlir::tern {

int64_t tritsPerByte(Packing packing) {
  switch (packing) {
  case Packing::none:
    return 1;
  case Packing::two_bit:
  case Packing::two_bit_tiled:
    return 4;
  case Packing::base3:
  case Packing::base3_tiled:
    return 5;
  }
  llvm_unreachable("unknown packing");
}

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t tileCols(Packing packing) {
  return packing == Packing::base3_tiled ? kBase3TileCols : kTileCols;
}

int64_t packedRowBytes(int64_t cols, Packing packing) {
  if (!isRowMajor(packing))
    return kTileBytes / kTileRows * ceilDiv(cols, tileCols(packing));
  return ceilDiv(cols, tritsPerByte(packing));
}

bool isRowMajor(Packing packing) {
  return packing != Packing::two_bit_tiled && packing != Packing::base3_tiled;
}

std::array<int64_t, 2> storageShape(int64_t rows, int64_t cols, Packing packing) {
  if (!isRowMajor(packing))
    return {ceilDiv(rows, kTileRows) * kTileRows, packedRowBytes(cols, packing)};
  return {rows, packedRowBytes(cols, packing)};
}

/// The byte of tiled storage and the digit (bit pair j of two_bit_tiled,
/// base-3 digit j of base3_tiled) that hold (row n, column k): byte 4r + i of
/// tile (n / 16, k / tileCols), digit (k % tileCols) / 4 (TernAttrs.td).
static std::pair<int64_t, int> tiledPosition(int64_t n, int64_t k, int64_t cols,
                                             Packing packing) {
  const int64_t per = tileCols(packing), chunks = ceilDiv(cols, per);
  int64_t byte = (n / kTileRows) * chunks * kTileBytes + (k / per) * kTileBytes +
                 4 * (n % kTileRows) + k % 4;
  return {byte, int((k % per) / 4)};
}

/// The code (trit + 1) of digit `digit` of a tiled byte.
static unsigned tiledCode(uint8_t byte, int digit, Packing packing) {
  if (packing == Packing::two_bit_tiled)
    return (byte >> (2 * digit)) & 3;
  unsigned v = byte;
  for (int j = 0; j < digit; ++j)
    v /= 3;
  return v % 3;
}

void packTrits(const int8_t *trits, int64_t rows, int64_t cols, Packing packing, uint8_t *out) {
  std::array<int64_t, 2> shape = storageShape(rows, cols, packing);
  if (isRowMajor(packing)) {
    for (int64_t n = 0; n < rows; ++n)
      packTritRow(trits + n * cols, cols, packing, out + n * shape[1]);
    return;
  }
  if (packing == Packing::base3_tiled) {
    // Every byte from its five trits; padding rows and columns are zero trits (code 1).
    const int64_t chunks = ceilDiv(cols, kBase3TileCols);
    for (int64_t g = 0; g < shape[0] / kTileRows; ++g)
      for (int64_t c = 0; c < chunks; ++c)
        for (int64_t r = 0; r < kTileRows; ++r)
          for (int64_t i = 0; i < 4; ++i) {
            const int64_t n = g * kTileRows + r;
            unsigned value = 0;
            for (int64_t j = 4; j >= 0; --j) { // Horner: digit 0 ends up lowest
              const int64_t k = c * kBase3TileCols + 4 * j + i;
              value = value * 3 + (n < rows && k < cols ? unsigned(trits[n * cols + k] + 1) : 1u);
            }
            out[(g * chunks + c) * kTileBytes + 4 * r + i] = uint8_t(value);
          }
    return;
  }
  // two_bit_tiled. Padding rows and columns are zero trits (code 1 in every bit pair).
  std::fill(out, out + shape[0] * shape[1], uint8_t(0x55));
  const int64_t chunks = ceilDiv(cols, kTileCols), fullChunks = cols / kTileCols;
  for (int64_t n = 0; n < rows; ++n) {
    const int8_t *row = trits + n * cols;
    // Row n's 4 bytes in each tile of its group.
    uint8_t *bytes = out + (n / kTileRows) * chunks * kTileBytes + 4 * (n % kTileRows);
    for (int64_t c = 0; c < fullChunks; ++c, row += kTileCols)
      for (int i = 0; i < 4; ++i)
        bytes[c * kTileBytes + i] =
            uint8_t(unsigned(row[i] + 1) | unsigned(row[4 + i] + 1) << 2 |
                    unsigned(row[8 + i] + 1) << 4 | unsigned(row[12 + i] + 1) << 6);
    for (int64_t k = fullChunks * kTileCols; k < cols; ++k) {
      auto [byte, pair] = tiledPosition(n, k, cols, packing);
      unsigned code = unsigned(trits[n * cols + k] + 1);
      out[byte] = uint8_t((out[byte] & ~(3u << (2 * pair))) | (code << (2 * pair)));
    }
  }
}

void unpackTrits(const uint8_t *packed, int64_t rows, int64_t cols, Packing packing, int8_t *out) {
  if (isRowMajor(packing)) {
    int64_t rowBytes = packedRowBytes(cols, packing);
    for (int64_t n = 0; n < rows; ++n)
      unpackTritRow(packed + n * rowBytes, cols, packing, out + n * cols);
    return;
  }
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) {
      auto [byte, digit] = tiledPosition(n, k, cols, packing);
      out[n * cols + k] = int8_t(tiledCode(packed[byte], digit, packing)) - 1;
    }
}

void packTritRow(const int8_t *trits, int64_t cols, Packing packing, uint8_t *out) {
  int64_t bytes = packedRowBytes(cols, packing);
  int64_t per = tritsPerByte(packing);
  for (int64_t b = 0; b < bytes; ++b) {
    unsigned value = 0;
    for (int64_t j = per - 1; j >= 0; --j) {
      int64_t k = b * per + j;
      unsigned code = k < cols ? unsigned(trits[k] + 1) : 1u; // padding is a zero trit
      switch (packing) {
      case Packing::none:
        value = uint8_t(trits[k]);
        break;
      case Packing::two_bit:
      case Packing::two_bit_tiled: // not row-major: packTrits handles it
        value |= code << (2 * j);
        break;
      case Packing::base3:
      case Packing::base3_tiled: // not row-major: packTrits handles it
        value = value * 3 + code; // Horner: trit 0 ends up as the lowest digit
        break;
      }
    }
    out[b] = uint8_t(value);
  }
}

void unpackTritRow(const uint8_t *packed, int64_t cols, Packing packing, int8_t *out) {
  for (int64_t k = 0; k < cols; ++k) {
    switch (packing) {
    case Packing::none:
      out[k] = int8_t(packed[k]);
      break;
    case Packing::two_bit:
    case Packing::two_bit_tiled: // not row-major: unpackTrits handles it
      out[k] = int8_t((packed[k / 4] >> (2 * (k % 4))) & 3) - 1;
      break;
    case Packing::base3:
    case Packing::base3_tiled: { // not row-major: unpackTrits handles it
      unsigned v = packed[k / 5];
      for (int64_t j = 0; j < k % 5; ++j)
        v /= 3;
      out[k] = int8_t(v % 3) - 1;
      break;
    }
    }
  }
}

} // namespace mlir::tern
