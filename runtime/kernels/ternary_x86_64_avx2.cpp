// Ternary accumulate for x86-64 with AVX2 (no VNNI), two_bit_tiled layout (ternary_kernels.h).
//
// A 64-byte chunk is two 32-byte halves of 8 rows each. Bit pair j, shifted down and masked, is an
// 8 rows x 4 columns block of codes (trit + 1, 0..2); vpmaddubsw multiplies it with 4 broadcast
// activation bytes and adds adjacent pairs into int16, and the four bit pairs of 16 chunks are summed
// in int16 (|sum| <= 16 * 4 * 2 * 2 * 128 = 32768, and the bound is only reached at -32768) before
// vpmaddwd widens them to int32 lanes, one per row. The code offset is removed at the end:
// sum (t + 1) * x = sum t * x + sum x.
#include "avx2_tiles.h"
#include "ternary_kernels.h"
#include "unroll.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace {

constexpr int64_t kChunksPerInt16Sum = 16;

int64_t chunksOf(int64_t K) { return (K + TERN_TILE_COLS - 1) / TERN_TILE_COLS; }

// sum(x[0, K)): 32 bytes at a time (vpmaddubsw with ones into int16 pairs, vpmaddwd into int32).
int32_t sumOf(const int8_t *x, int64_t K) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + k));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, v), ones16));
  }
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), acc);
  int32_t s = 0;
  for (int32_t lane : lanes) s += lane;
  for (; k < K; ++k) s += x[k];
  return s;
}

// Sum of codes * x over chunks [c0, c1) (at most kChunksPerInt16Sum) of one half, for TB tokens,
// added to acc32 as int32. The first `full` chunks read token t's activations in place at x[t];
// the partial last chunk reads the zero-padded copy tail[t]. The full chunks run in a loop of their
// own, without a test per chunk.
template <int TB>
inline void accumulateHalf(const uint8_t *half, int64_t c0, int64_t c1, int64_t full,
                           const int8_t *const x[TB], const int8_t *const tail[TB],
                           __m256i acc32[TB]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc16[TB];
  TERN_UNROLL for (int t = 0; t < TB; ++t) acc16[t] = _mm256_setzero_si256();
  const int64_t f1 = std::min(c1, full);
  for (int64_t c = c0; c < f1; ++c)
    TERN_UNROLL for (int t = 0; t < TB; ++t)
      acc16[t] = accumulateTwoBitChunk(half + c * TERN_TILE_BYTES, x[t] + c * TERN_TILE_COLS, acc16[t]);
  if (c1 > full)
    TERN_UNROLL for (int t = 0; t < TB; ++t)
      acc16[t] = accumulateTwoBitChunk(half + full * TERN_TILE_BYTES, tail[t], acc16[t]);
  TERN_UNROLL for (int t = 0; t < TB; ++t)
    acc32[t] = _mm256_add_epi32(acc32[t], _mm256_madd_epi16(acc16[t], ones));
}

// TB tokens from t0 against row groups covering [rowBegin, rowEnd).
template <int TB>
void gemmTokens(const tern_ternary_args &a, int64_t t0, int64_t rowBegin, int64_t rowEnd) {
  const int64_t chunks = chunksOf(a.K), full = a.K / TERN_TILE_COLS;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  alignas(32) int8_t tail[TB * TERN_TILE_COLS];
  int32_t sums[TB];
  for (int t = 0; t < TB; ++t) {
    const int8_t *xt = a.x + (t0 + t) * a.x_stride;
    sums[t] = a.x_sums ? a.x_sums[t0 + t] : sumOf(xt, a.K);
    std::memset(tail + t * TERN_TILE_COLS, 0, TERN_TILE_COLS);
    if (full != chunks)
      std::memcpy(tail + t * TERN_TILE_COLS, xt + full * TERN_TILE_COLS, a.K - full * TERN_TILE_COLS);
  }
  // Full chunks read x in place; the partial last chunk reads the zero-padded copy.
  const int8_t *xs[TB], *tails[TB];
  for (int t = 0; t < TB; ++t) {
    xs[t] = a.x + (t0 + t) * a.x_stride;
    tails[t] = tail + t * TERN_TILE_COLS;
  }
  const int64_t groupEnd = (rowEnd + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  for (int64_t g = rowBegin / TERN_TILE_ROWS; g < groupEnd; ++g) {
    for (int h = 0; h < 2; ++h) {
      const int64_t row0 = g * TERN_TILE_ROWS + 8 * h;
      if (row0 >= rowEnd) break;
      const uint8_t *half = a.w + g * groupBytes + 32 * h;
      __m256i acc32[TB];
      TERN_UNROLL for (int t = 0; t < TB; ++t) acc32[t] = _mm256_setzero_si256();
      for (int64_t c = 0; c < chunks; c += kChunksPerInt16Sum)
        accumulateHalf<TB>(half, c, std::min(chunks, c + kChunksPerInt16Sum), full, xs, tails,
                           acc32);
      TERN_UNROLL for (int t = 0; t < TB; ++t)
        addRows(a.out + (t0 + t) * a.out_stride + row0,
                _mm256_sub_epi32(acc32[t], _mm256_set1_epi32(sums[t])), rowEnd - row0);
    }
  }
}

}  // namespace

extern "C" void ternary_gemv_x86_64_avx2(const tern_ternary_args *args, int64_t row_begin,
                                         int64_t row_end) {
  row_end = std::min(row_end, args->N);
  if (row_begin < row_end) gemmTokens<1>(*args, 0, row_begin, row_end);
}

extern "C" void ternary_gemm_x86_64_avx2(const tern_ternary_args *args, int64_t row_begin,
                                         int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  int64_t t = 0;
  for (; t + 4 <= a.T; t += 4) gemmTokens<4>(a, t, row_begin, row_end);
  if (a.T - t >= 2) { gemmTokens<2>(a, t, row_begin, row_end); t += 2; }
  if (a.T - t >= 1) gemmTokens<1>(a, t, row_begin, row_end);
}
