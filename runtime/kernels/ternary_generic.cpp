// Portable ternary accumulate for every layout: the reference the SIMD kernels are tested against,
// and what runs where no SIMD kernel applies (other layouts, CPUs without the ISA).
#include "ternary_kernels.h"

#include <algorithm>

namespace {

constexpr int64_t kBlock = 256;  // trits decoded at a time into a stack buffer

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Trits [k0, k0 + count) of row n, as -1/0/+1.
void decodeRow(const tern_ternary_args &a, int64_t n, int64_t k0, int64_t count, int8_t *out) {
  switch (a.layout) {
    case TERN_LAYOUT_NONE: {
      const int8_t *row = reinterpret_cast<const int8_t *>(a.w) + n * a.K;
      std::copy(row + k0, row + k0 + count, out);
      return;
    }
    case TERN_LAYOUT_TWO_BIT: {
      const uint8_t *row = a.w + n * ceilDiv(a.K, 4);
      for (int64_t i = 0; i < count; ++i) {
        int64_t k = k0 + i;
        out[i] = int8_t(((row[k / 4] >> (2 * (k % 4))) & 3) - 1);
      }
      return;
    }
    case TERN_LAYOUT_BASE3: {
      static const uint8_t kPow3[5] = {1, 3, 9, 27, 81};
      const uint8_t *row = a.w + n * ceilDiv(a.K, 5);
      for (int64_t i = 0; i < count; ++i) {
        int64_t k = k0 + i;
        out[i] = int8_t((row[k / 5] / kPow3[k % 5]) % 3 - 1);
      }
      return;
    }
    case TERN_LAYOUT_TWO_BIT_TILED: {
      const int64_t chunks = ceilDiv(a.K, TERN_TILE_COLS);
      const uint8_t *group = a.w + (n / TERN_TILE_ROWS) * chunks * TERN_TILE_BYTES;
      const int64_t r = n % TERN_TILE_ROWS;
      for (int64_t i = 0; i < count; ++i) {
        int64_t k = k0 + i;
        int64_t c = k / TERN_TILE_COLS, j = (k % TERN_TILE_COLS) / 4;
        uint8_t byte = group[c * TERN_TILE_BYTES + 4 * r + k % 4];
        out[i] = int8_t(((byte >> (2 * j)) & 3) - 1);
      }
      return;
    }
    case TERN_LAYOUT_BASE3_TILED: {
      static const uint8_t kPow3[5] = {1, 3, 9, 27, 81};
      const int64_t chunks = ceilDiv(a.K, TERN_BASE3_TILE_COLS);
      const uint8_t *group = a.w + (n / TERN_TILE_ROWS) * chunks * TERN_TILE_BYTES;
      const int64_t r = n % TERN_TILE_ROWS;
      for (int64_t i = 0; i < count; ++i) {
        int64_t k = k0 + i;
        int64_t c = k / TERN_BASE3_TILE_COLS, j = (k % TERN_BASE3_TILE_COLS) / 4;
        uint8_t byte = group[c * TERN_TILE_BYTES + 4 * r + k % 4];
        out[i] = int8_t((byte / kPow3[j]) % 3 - 1);
      }
      return;
    }
  }
}

}  // namespace

extern "C" int64_t tern_packed_bytes(tern_trit_layout layout, int64_t N, int64_t K) {
  switch (layout) {
    case TERN_LAYOUT_NONE: return N * K;
    case TERN_LAYOUT_TWO_BIT: return N * ceilDiv(K, 4);
    case TERN_LAYOUT_BASE3: return N * ceilDiv(K, 5);
    case TERN_LAYOUT_TWO_BIT_TILED:
      return ceilDiv(N, TERN_TILE_ROWS) * ceilDiv(K, TERN_TILE_COLS) * TERN_TILE_BYTES;
    case TERN_LAYOUT_BASE3_TILED:
      return ceilDiv(N, TERN_TILE_ROWS) * ceilDiv(K, TERN_BASE3_TILE_COLS) * TERN_TILE_BYTES;
  }
  return -1;
}

extern "C" void ternary_matmul_generic(const tern_ternary_args *args, int64_t row_begin,
                                       int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  int8_t trits[kBlock];
  for (int64_t n = row_begin; n < row_end; ++n) {
    for (int64_t k0 = 0; k0 < a.K; k0 += kBlock) {
      const int64_t count = std::min(kBlock, a.K - k0);
      decodeRow(a, n, k0, count, trits);
      for (int64_t t = 0; t < a.T; ++t) {
        const int8_t *x = a.x + t * a.x_stride + k0;
        int32_t sum = 0;
        for (int64_t i = 0; i < count; ++i) sum += int32_t(x[i]) * trits[i];
        a.out[t * a.out_stride + n] += sum;
      }
    }
  }
}
