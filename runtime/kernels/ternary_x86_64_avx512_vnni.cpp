// Ternary accumulate for x86-64 with AVX-512 BW + VNNI, two_bit_tiled layout (ternary_kernels.h).
//
// A 64-byte chunk holds 16 rows x 16 columns; masking bit pair j of every byte gives a 16 x 4 block
// of codes (trit + 1, unsigned), which vpdpbusd multiplies with 4 broadcast activation bytes and sums
// into the 16 int32 lanes, one lane per row. The code offset is removed at the end:
// sum (t + 1) * x = sum t * x + sum x.
//
// gemv (decode) is bound by memory bandwidth: it masks bit pair j in place (code << 2j) instead of
// shifting, keeps one accumulator per bit pair and scales them down exactly at the end
// (acc_j is a multiple of 4^j), so a chunk costs 1 load + 4 vpandd + 4 vpdpbusd.
// gemm (prefill) is bound by vpdpbusd throughput: it decodes a chunk once (3 shifts, 4 ands) and
// reuses it for a block of up to 16 tokens (64 vpdpbusd per chunk).
#include "avx512_tiles.h"
#include "ternary_kernels.h"
#include "unroll.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace {

int64_t chunksOf(int64_t K) { return (K + TERN_TILE_COLS - 1) / TERN_TILE_COLS; }


// Decode streams the weights once. Measured on Zen 4 (docs/performance.md): one sequential stream
// per thread beats several interleaved ones, and a prefetch into L1 6 KiB ahead closes most of the
// gap to a plain streaming reader (over a 1.3B model's weights: 0.83 of the reader without it,
// 0.96 with it). The model's matrices lie in the order they run, so the prefetch past the end of one
// matrix fetches the start of the next.
constexpr int kGemvPrefetchBytes = 6144;

// gemv over one row group at `w`: returns the 16 row sums of codes * x. `x` covers the full
// chunks; `tail` (16 zero-padded bytes) the last, partial chunk if any.
inline __m512i gemvGroup(const uint8_t *w, const int8_t *x, int64_t fullChunks,
                         const int8_t *tail) {
  const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0c),
                m2 = _mm512_set1_epi8(0x30), m3 = _mm512_set1_epi8(char(0xc0));
  // Two sets of accumulators (even and odd chunks) so consecutive chunks do not wait on each other.
  __m512i a[2][4];
  TERN_UNROLL for (int u = 0; u < 2; ++u)
    TERN_UNROLL for (int j = 0; j < 4; ++j) a[u][j] = _mm512_setzero_si512();
  auto step = [&](int u, const uint8_t *chunk, const int8_t *xc) {
    _mm_prefetch(reinterpret_cast<const char *>(chunk) + kGemvPrefetchBytes, _MM_HINT_T0);
    const __m512i p = _mm512_loadu_si512(chunk);
    a[u][0] = dpbusdBroadcast(a[u][0], _mm512_and_si512(p, m0), xc);
    a[u][1] = dpbusdBroadcast(a[u][1], _mm512_and_si512(p, m1), xc + 4);
    a[u][2] = dpbusdBroadcast(a[u][2], _mm512_and_si512(p, m2), xc + 8);
    a[u][3] = dpbusdBroadcast(a[u][3], _mm512_and_si512(p, m3), xc + 12);
  };
  int64_t c = 0;
  for (; c + 2 <= fullChunks; c += 2) {
    step(0, w + c * TERN_TILE_BYTES, x + c * TERN_TILE_COLS);
    step(1, w + (c + 1) * TERN_TILE_BYTES, x + (c + 1) * TERN_TILE_COLS);
  }
  if (c < fullChunks) {
    step(0, w + c * TERN_TILE_BYTES, x + c * TERN_TILE_COLS);
    ++c;
  }
  if (tail) step(1, w + c * TERN_TILE_BYTES, tail);
  __m512i s[4];
  TERN_UNROLL for (int j = 0; j < 4; ++j) s[j] = _mm512_add_epi32(a[0][j], a[1][j]);
  // Bit pair j was multiplied in place, as code << 2j: scale back exactly.
  __m512i r = _mm512_add_epi32(s[0], _mm512_srai_epi32(s[1], 2));
  r = _mm512_add_epi32(r, _mm512_srai_epi32(s[2], 4));
  return _mm512_add_epi32(r, _mm512_srai_epi32(s[3], 6));
}

// One block of TB tokens against one row group: acc[t] = sum of codes * x over all chunks.
template <int TB>
inline void gemmBlock(const uint8_t *w, const int8_t *x, int64_t xStride, int64_t fullChunks,
                      const int8_t *tail /* TB x 16 bytes or null */, __m512i acc[TB]) {
  const __m512i low = _mm512_set1_epi8(0x03);
  TERN_UNROLL for (int t = 0; t < TB; ++t) acc[t] = _mm512_setzero_si512();
  auto step = [&](const uint8_t *chunk, const int8_t *xc, int64_t stride) {
    const __m512i p = _mm512_loadu_si512(chunk);
    const __m512i w0 = _mm512_and_si512(p, low);
    const __m512i w1 = _mm512_and_si512(_mm512_srli_epi16(p, 2), low);
    const __m512i w2 = _mm512_and_si512(_mm512_srli_epi16(p, 4), low);
    const __m512i w3 = _mm512_and_si512(_mm512_srli_epi16(p, 6), low);
    TERN_UNROLL for (int t = 0; t < TB; ++t) {
      const int8_t *xt = xc + t * stride;
      acc[t] = _mm512_dpbusd_epi32(acc[t], w0, broadcast4(xt));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w1, broadcast4(xt + 4));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w2, broadcast4(xt + 8));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w3, broadcast4(xt + 12));
    }
  };
  int64_t c = 0;
  for (; c < fullChunks; ++c) step(w + c * TERN_TILE_BYTES, x + c * TERN_TILE_COLS, xStride);
  if (tail) step(w + c * TERN_TILE_BYTES, tail, TERN_TILE_COLS);
}

template <int TB>
void gemmTokens(const tern_ternary_args &a, int64_t t0, int64_t rowBegin, int64_t rowEnd) {
  const int64_t groupBegin = rowBegin / TERN_TILE_ROWS;
  const int64_t groupEnd = (rowEnd + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  const int64_t chunks = chunksOf(a.K), full = a.K / TERN_TILE_COLS;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  const bool hasTail = full != chunks;
  alignas(64) int8_t tail[TB * TERN_TILE_COLS];
  int32_t sums[TB];
  stageTokens<TB, TERN_TILE_COLS>(a, t0, full, hasTail, tail, sums);
  for (int64_t g = groupBegin; g < groupEnd; ++g) {
    __m512i acc[TB];
    gemmBlock<TB>(a.w + g * groupBytes, a.x + t0 * a.x_stride, a.x_stride, full,
                  hasTail ? tail : nullptr, acc);
    const int64_t rows = std::min<int64_t>(TERN_TILE_ROWS, rowEnd - g * TERN_TILE_ROWS);
    TERN_UNROLL for (int t = 0; t < TB; ++t)
      addRows(a.out + (t0 + t) * a.out_stride + g * TERN_TILE_ROWS,
              _mm512_sub_epi32(acc[t], _mm512_set1_epi32(sums[t])), rows);
  }
}

}  // namespace

extern "C" void ternary_gemv_x86_64_avx512_vnni(const tern_ternary_args *args, int64_t row_begin,
                                                int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  const int64_t chunks = chunksOf(a.K), full = a.K / TERN_TILE_COLS;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  alignas(16) int8_t tail[TERN_TILE_COLS] = {};
  const bool hasTail = full != chunks;
  if (hasTail)
    std::memcpy(tail, a.x + full * TERN_TILE_COLS, a.K - full * TERN_TILE_COLS);
  const __m512i sum = _mm512_set1_epi32(a.x_sums ? a.x_sums[0] : sumOf(a.x, a.K));
  const int64_t groupEnd = (row_end + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  for (int64_t g = row_begin / TERN_TILE_ROWS; g < groupEnd; ++g) {
    const __m512i r = gemvGroup(a.w + g * groupBytes, a.x, full, hasTail ? tail : nullptr);
    addRows(a.out + g * TERN_TILE_ROWS, _mm512_sub_epi32(r, sum),
            std::min<int64_t>(TERN_TILE_ROWS, row_end - g * TERN_TILE_ROWS));
  }
}

extern "C" void ternary_gemm_x86_64_avx512_vnni(const tern_ternary_args *args, int64_t row_begin,
                                                int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  int64_t t = 0;
  for (; t + 16 <= a.T; t += 16) gemmTokens<16>(a, t, row_begin, row_end);
  if (a.T - t >= 8) { gemmTokens<8>(a, t, row_begin, row_end); t += 8; }
  if (a.T - t >= 4) { gemmTokens<4>(a, t, row_begin, row_end); t += 4; }
  if (a.T - t >= 2) { gemmTokens<2>(a, t, row_begin, row_end); t += 2; }
  if (a.T - t >= 1) { gemmTokens<1>(a, t, row_begin, row_end); t += 1; }
}
