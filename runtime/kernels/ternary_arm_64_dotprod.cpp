// Ternary accumulate for AArch64 with the dot-product extension (sdot), two_bit_tiled layout
// (ternary_kernels.h).
//
// A 64-byte chunk is four 16-byte quads of 4 rows each. Bit pair j of a quad is a 4 rows x 4
// columns block of codes (trit + 1); sdot by lane j of the chunk's 16 activation bytes sums it into
// the 4 int32 lanes, one per row. The code offset is removed at the end:
// sum (t + 1) * x = sum t * x + sum x.
// gemv keeps bit pairs 0..2 in place (code << 2j, at most 32, still a valid signed byte) with one
// accumulator per scale, and shifts bit pair 3 down (code << 6 would not fit a signed byte), so it
// shares the accumulator of scale 1; the scales are undone exactly at the end.
#include "ternary_kernels.h"
#include "unroll.h"

#include <arm_neon.h>

#include <algorithm>
#include <cstring>

namespace {

int64_t chunksOf(int64_t K) { return (K + TERN_TILE_COLS - 1) / TERN_TILE_COLS; }

int32_t sumOf(const int8_t *x, int64_t K) {
  int32_t s = 0;
  for (int64_t k = 0; k < K; ++k) s += x[k];
  return s;
}

// Adds the 4 lanes of `v` to out[0, rows) (rows may be below 4).
inline void addRows(int32_t *out, int32x4_t v, int64_t rows) {
  if (rows >= 4) {
    vst1q_s32(out, vaddq_s32(vld1q_s32(out), v));
    return;
  }
  int32_t lanes[4];
  vst1q_s32(lanes, v);
  for (int64_t r = 0; r < rows; ++r) out[r] += lanes[r];
}

// Sum of codes * x over all chunks of one quad (4 rows), for TB tokens.
template <int TB, typename ChunkX>
inline void gemmQuad(const uint8_t *quad, int64_t chunks, ChunkX chunkX, int32x4_t acc[TB]) {
  const uint8x16_t low = vdupq_n_u8(0x03);
  TERN_UNROLL for (int t = 0; t < TB; ++t) acc[t] = vdupq_n_s32(0);
  for (int64_t c = 0; c < chunks; ++c) {
    const uint8x16_t p = vld1q_u8(quad + c * TERN_TILE_BYTES);
    const int8x16_t w0 = vreinterpretq_s8_u8(vandq_u8(p, low));
    const int8x16_t w1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p, 2), low));
    const int8x16_t w2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p, 4), low));
    const int8x16_t w3 = vreinterpretq_s8_u8(vshrq_n_u8(p, 6));
    TERN_UNROLL for (int t = 0; t < TB; ++t) {
      const int8x16_t x = vld1q_s8(chunkX(t, c));
      acc[t] = vdotq_laneq_s32(acc[t], w0, x, 0);
      acc[t] = vdotq_laneq_s32(acc[t], w1, x, 1);
      acc[t] = vdotq_laneq_s32(acc[t], w2, x, 2);
      acc[t] = vdotq_laneq_s32(acc[t], w3, x, 3);
    }
  }
}

template <int TB>
void gemmTokens(const tern_ternary_args &a, int64_t t0, int64_t rowBegin, int64_t rowEnd) {
  const int64_t chunks = chunksOf(a.K), full = a.K / TERN_TILE_COLS;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  int8_t tail[TB * TERN_TILE_COLS];
  int32_t sums[TB];
  for (int t = 0; t < TB; ++t) {
    const int8_t *xt = a.x + (t0 + t) * a.x_stride;
    sums[t] = a.x_sums ? a.x_sums[t0 + t] : sumOf(xt, a.K);
    std::memset(tail + t * TERN_TILE_COLS, 0, TERN_TILE_COLS);
    if (full != chunks)
      std::memcpy(tail + t * TERN_TILE_COLS, xt + full * TERN_TILE_COLS, a.K - full * TERN_TILE_COLS);
  }
  auto chunkX = [&](int t, int64_t c) -> const int8_t * {
    return c < full ? a.x + (t0 + t) * a.x_stride + c * TERN_TILE_COLS : tail + t * TERN_TILE_COLS;
  };
  const int64_t groupEnd = (rowEnd + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  for (int64_t g = rowBegin / TERN_TILE_ROWS; g < groupEnd; ++g) {
    for (int q = 0; q < 4; ++q) {
      const int64_t row0 = g * TERN_TILE_ROWS + 4 * q;
      if (row0 >= rowEnd) break;
      int32x4_t acc[TB];
      gemmQuad<TB>(a.w + g * groupBytes + 16 * q, chunks, chunkX, acc);
      TERN_UNROLL for (int t = 0; t < TB; ++t)
        addRows(a.out + (t0 + t) * a.out_stride + row0, vsubq_s32(acc[t], vdupq_n_s32(sums[t])),
                rowEnd - row0);
    }
  }
}

// gemv over one row group: the 16 row sums of codes * x, in 4 quads.
inline void gemvGroup(const uint8_t *w, const int8_t *x, int64_t fullChunks, const int8_t *tail,
                      int32x4_t out[4]) {
  const uint8x16_t m0 = vdupq_n_u8(0x03), m1 = vdupq_n_u8(0x0c), m2 = vdupq_n_u8(0x30);
  int32x4_t a[4][3];
  TERN_UNROLL for (int q = 0; q < 4; ++q)
    TERN_UNROLL for (int s = 0; s < 3; ++s) a[q][s] = vdupq_n_s32(0);
  auto step = [&](const uint8_t *chunk, const int8_t *xc) {
    const int8x16_t xv = vld1q_s8(xc);
    TERN_UNROLL for (int q = 0; q < 4; ++q) {
      const uint8x16_t p = vld1q_u8(chunk + 16 * q);
      a[q][0] = vdotq_laneq_s32(a[q][0], vreinterpretq_s8_u8(vandq_u8(p, m0)), xv, 0);
      a[q][1] = vdotq_laneq_s32(a[q][1], vreinterpretq_s8_u8(vandq_u8(p, m1)), xv, 1);
      a[q][2] = vdotq_laneq_s32(a[q][2], vreinterpretq_s8_u8(vandq_u8(p, m2)), xv, 2);
      a[q][0] = vdotq_laneq_s32(a[q][0], vreinterpretq_s8_u8(vshrq_n_u8(p, 6)), xv, 3);
    }
  };
  int64_t c = 0;
  for (; c < fullChunks; ++c) step(w + c * TERN_TILE_BYTES, x + c * TERN_TILE_COLS);
  if (tail) step(w + c * TERN_TILE_BYTES, tail);
  TERN_UNROLL for (int q = 0; q < 4; ++q) {
    int32x4_t r = vaddq_s32(a[q][0], vshrq_n_s32(a[q][1], 2));
    out[q] = vaddq_s32(r, vshrq_n_s32(a[q][2], 4));
  }
}

}  // namespace

extern "C" void ternary_gemv_arm_64_dotprod(const tern_ternary_args *args, int64_t row_begin,
                                            int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  const int64_t chunks = chunksOf(a.K), full = a.K / TERN_TILE_COLS;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  int8_t tail[TERN_TILE_COLS] = {};
  const bool hasTail = full != chunks;
  if (hasTail) std::memcpy(tail, a.x + full * TERN_TILE_COLS, a.K - full * TERN_TILE_COLS);
  const int32x4_t sum = vdupq_n_s32(a.x_sums ? a.x_sums[0] : sumOf(a.x, a.K));
  const int64_t groupEnd = (row_end + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  for (int64_t g = row_begin / TERN_TILE_ROWS; g < groupEnd; ++g) {
    int32x4_t r[4];
    gemvGroup(a.w + g * groupBytes, a.x, full, hasTail ? tail : nullptr, r);
    TERN_UNROLL for (int q = 0; q < 4; ++q) {
      const int64_t row0 = g * TERN_TILE_ROWS + 4 * q;
      if (row0 < row_end) addRows(a.out + row0, vsubq_s32(r[q], sum), row_end - row0);
    }
  }
}

extern "C" void ternary_gemm_arm_64_dotprod(const tern_ternary_args *args, int64_t row_begin,
                                            int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  int64_t t = 0;
  for (; t + 8 <= a.T; t += 8) gemmTokens<8>(a, t, row_begin, row_end);
  if (a.T - t >= 4) { gemmTokens<4>(a, t, row_begin, row_end); t += 4; }
  if (a.T - t >= 2) { gemmTokens<2>(a, t, row_begin, row_end); t += 2; }
  if (a.T - t >= 1) gemmTokens<1>(a, t, row_begin, row_end);
}
