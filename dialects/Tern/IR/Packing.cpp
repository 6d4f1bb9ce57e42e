//===- Packing.cpp - trit byte layouts ------------------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "llvm/Support/ErrorHandling.h"

namespace mlir::tern {

int64_t tritsPerByte(Packing packing) {
  switch (packing) {
  case Packing::none:
    return 1;
  case Packing::two_bit:
    return 4;
  case Packing::base3:
    return 5;
  }
  llvm_unreachable("unknown packing");
}

int64_t packedRowBytes(int64_t cols, Packing packing) {
  int64_t per = tritsPerByte(packing);
  return (cols + per - 1) / per;
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
        value |= code << (2 * j);
        break;
      case Packing::base3:
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
      out[k] = int8_t((packed[k / 4] >> (2 * (k % 4))) & 3) - 1;
      break;
    case Packing::base3: {
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
