// Ternary accumulate for x86-64 with AVX-512 BW + VBMI + VNNI, base3_tiled layout
// (ternary_kernels.h): 16 rows x 20 columns per 64-byte chunk, 5 base-3 digits per byte.
//
// Digit j of every byte of a chunk is a 16 rows x 4 columns block of codes (trit + 1, unsigned),
// which vpdpbusd multiplies with 4 broadcast activation bytes into 16 int32 lanes, one per row, as
// for two_bit_tiled; the code offset is removed at the end (sum (t + 1) * x = sum t * x + sum x).
// The digits come out of a byte b (0..242) without division:
//   r = b mod 81 from two rounds of r = min(r, r - 81) (unsigned bytes wrap, so the subtraction
//     wins only when r >= 81);
//   digits 0..3 of r as one two_bit byte (code_j << 2j) from a 128-entry table (one vpermi2b);
//   digit 4 is b - r = 81 * code_4.
//
// gemv (decode) is bound by memory bandwidth and reads 0.8x the bytes of two_bit_tiled, which makes
// it 1.2x faster per step where both run at the memory rate (docs/performance.md, "Weight layout").
// Like the two_bit_tiled gemv it keeps digits 0..3 in place (code << 2j) with one accumulator each,
// and digit 4 as 81 * code_4, and scales them back exactly at the end: the sum of digit j is a
// multiple of 4^j, the sum of digit 4 a multiple of 81, which multiplying by the inverse of 81
// modulo 2^32 divides out. Per chunk: 1 load, 5 byte ops, 1 vpermi2b, 4 vpandd, 5 vpdpbusd.
// gemm (prefill) is bound by vpdpbusd throughput: it decodes a chunk once into 5 blocks of plain
// codes and reuses them for a block of up to 16 tokens (80 vpdpbusd per chunk).
#include "avx512_tiles.h"
#include "ternary_kernels.h"
#include "unroll.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace {

constexpr int64_t kCols = TERN_BASE3_TILE_COLS;

// 81 * kInverseOf81 = 1 modulo 2^32 (Newton's iteration doubles the correct low bits each step).
constexpr uint32_t inverseOdd(uint32_t a) {
  uint32_t x = a;  // a * a = 1 mod 8
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
constexpr uint32_t kInverseOf81 = inverseOdd(81);
static_assert(uint32_t(81u * kInverseOf81) == 1u, "inverse of 81 modulo 2^32");

// Byte r (< 81) -> code_0 | code_1 << 2 | code_2 << 4 | code_3 << 6, its base-3 digits; entries
// 81..127 never occur.
struct Low4Table {
  alignas(64) uint8_t bytes[128];
};
constexpr Low4Table makeLow4Table() {
  Low4Table t{};
  for (int b = 0; b < 128; ++b) {
    int v = b, packed = 0;
    for (int j = 0; j < 4; ++j, v /= 3) packed |= (v % 3) << (2 * j);
    t.bytes[b] = uint8_t(packed);
  }
  return t;
}
constexpr Low4Table kLow4 = makeLow4Table();

int64_t chunksOf(int64_t K) { return (K + kCols - 1) / kCols; }


// The digits of a chunk: r = p mod 81 (digits 0..3), and p - r = 81 * code_4.
struct Split {
  __m512i low4;    // code_0 | code_1 << 2 | code_2 << 4 | code_3 << 6 in every byte
  __m512i digit4;  // 81 * code_4 in every byte
};
inline Split split(__m512i p, __m512i table0, __m512i table1) {
  const __m512i b81 = _mm512_set1_epi8(char(81));
  __m512i r = _mm512_min_epu8(p, _mm512_sub_epi8(p, b81));
  r = _mm512_min_epu8(r, _mm512_sub_epi8(r, b81));
  return {_mm512_permutex2var_epi8(table0, r, table1), _mm512_sub_epi8(p, r)};
}

// As the two_bit_tiled gemv (measured in bench/layout/): one sequential stream per thread with a
// prefetch into L1 6 KiB ahead.
constexpr int kGemvPrefetchBytes = 6144;

// gemv over one row group at `w`: the 16 row sums of codes * x. `x` covers the full chunks; `tail`
// (20 zero-padded bytes) the last, partial chunk if any.
inline __m512i gemvGroup(const uint8_t *w, const int8_t *x, int64_t fullChunks,
                         const int8_t *tail, __m512i table0, __m512i table1) {
  const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0c),
                m2 = _mm512_set1_epi8(0x30), m3 = _mm512_set1_epi8(char(0xc0));
  // Two sets of accumulators (even and odd chunks) so consecutive chunks do not wait on each other.
  __m512i a[2][5];
  TERN_UNROLL for (int u = 0; u < 2; ++u)
    TERN_UNROLL for (int j = 0; j < 5; ++j) a[u][j] = _mm512_setzero_si512();
  auto step = [&](int u, const uint8_t *chunk, const int8_t *xc) __attribute__((always_inline)) {
    _mm_prefetch(reinterpret_cast<const char *>(chunk) + kGemvPrefetchBytes, _MM_HINT_T0);
    const Split d = split(_mm512_loadu_si512(chunk), table0, table1);
    a[u][0] = dpbusdBroadcast(a[u][0], _mm512_and_si512(d.low4, m0), xc);
    a[u][1] = dpbusdBroadcast(a[u][1], _mm512_and_si512(d.low4, m1), xc + 4);
    a[u][2] = dpbusdBroadcast(a[u][2], _mm512_and_si512(d.low4, m2), xc + 8);
    a[u][3] = dpbusdBroadcast(a[u][3], _mm512_and_si512(d.low4, m3), xc + 12);
    a[u][4] = dpbusdBroadcast(a[u][4], d.digit4, xc + 16);
  };
  int64_t c = 0;
  for (; c + 2 <= fullChunks; c += 2) {
    step(0, w + c * TERN_TILE_BYTES, x + c * kCols);
    step(1, w + (c + 1) * TERN_TILE_BYTES, x + (c + 1) * kCols);
  }
  if (c < fullChunks) {
    step(0, w + c * TERN_TILE_BYTES, x + c * kCols);
    ++c;
  }
  if (tail) step(1, w + c * TERN_TILE_BYTES, tail);
  __m512i s[5];
  TERN_UNROLL for (int j = 0; j < 5; ++j) s[j] = _mm512_add_epi32(a[0][j], a[1][j]);
  // Digit j < 4 was multiplied in place, as code << 2j, and digit 4 as 81 * code: scale back.
  __m512i r = _mm512_add_epi32(s[0], _mm512_srai_epi32(s[1], 2));
  r = _mm512_add_epi32(r, _mm512_srai_epi32(s[2], 4));
  r = _mm512_add_epi32(r, _mm512_srai_epi32(s[3], 6));
  return _mm512_add_epi32(
      r, _mm512_mullo_epi32(s[4], _mm512_set1_epi32(int32_t(kInverseOf81))));
}

// One block of TB tokens against one row group: acc[t] = sum of codes * x over all chunks.
template <int TB>
inline void gemmBlock(const uint8_t *w, const int8_t *x, int64_t xStride, int64_t fullChunks,
                      const int8_t *tail /* TB x 20 bytes or null */, __m512i table0,
                      __m512i table1, __m512i acc[TB]) {
  const __m512i low = _mm512_set1_epi8(0x03);
  TERN_UNROLL for (int t = 0; t < TB; ++t) acc[t] = _mm512_setzero_si512();
  auto step = [&](const uint8_t *chunk, const int8_t *xc, int64_t stride) {
    const Split d = split(_mm512_loadu_si512(chunk), table0, table1);
    const __m512i w0 = _mm512_and_si512(d.low4, low);
    const __m512i w1 = _mm512_and_si512(_mm512_srli_epi16(d.low4, 2), low);
    const __m512i w2 = _mm512_and_si512(_mm512_srli_epi16(d.low4, 4), low);
    const __m512i w3 = _mm512_and_si512(_mm512_srli_epi16(d.low4, 6), low);
    // 81 * code_4 is 0, 81 (0b01010001) or 162 (0b10100010): its top two bits are code_4.
    const __m512i w4 = _mm512_and_si512(_mm512_srli_epi16(d.digit4, 6), low);
    TERN_UNROLL for (int t = 0; t < TB; ++t) {
      const int8_t *xt = xc + t * stride;
      acc[t] = _mm512_dpbusd_epi32(acc[t], w0, broadcast4(xt));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w1, broadcast4(xt + 4));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w2, broadcast4(xt + 8));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w3, broadcast4(xt + 12));
      acc[t] = _mm512_dpbusd_epi32(acc[t], w4, broadcast4(xt + 16));
    }
  };
  int64_t c = 0;
  for (; c < fullChunks; ++c) step(w + c * TERN_TILE_BYTES, x + c * kCols, xStride);
  if (tail) step(w + c * TERN_TILE_BYTES, tail, kCols);
}

template <int TB>
void gemmTokens(const tern_ternary_args &a, int64_t t0, int64_t rowBegin, int64_t rowEnd,
                __m512i table0, __m512i table1) {
  const int64_t groupBegin = rowBegin / TERN_TILE_ROWS;
  const int64_t groupEnd = (rowEnd + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  const int64_t chunks = chunksOf(a.K), full = a.K / kCols;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  const bool hasTail = full != chunks;
  alignas(64) int8_t tail[TB * kCols];
  int32_t sums[TB];
  stageTokens<TB, kCols>(a, t0, full, hasTail, tail, sums);
  for (int64_t g = groupBegin; g < groupEnd; ++g) {
    __m512i acc[TB];
    gemmBlock<TB>(a.w + g * groupBytes, a.x + t0 * a.x_stride, a.x_stride, full,
                  hasTail ? tail : nullptr, table0, table1, acc);
    const int64_t rows = std::min<int64_t>(TERN_TILE_ROWS, rowEnd - g * TERN_TILE_ROWS);
    TERN_UNROLL for (int t = 0; t < TB; ++t)
      addRows(a.out + (t0 + t) * a.out_stride + g * TERN_TILE_ROWS,
              _mm512_sub_epi32(acc[t], _mm512_set1_epi32(sums[t])), rows);
  }
}

}  // namespace

extern "C" void ternary_gemv_x86_64_avx512_vbmi(const tern_ternary_args *args, int64_t row_begin,
                                                int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  const int64_t chunks = chunksOf(a.K), full = a.K / kCols;
  const int64_t groupBytes = chunks * TERN_TILE_BYTES;
  alignas(32) int8_t tail[kCols] = {};
  const bool hasTail = full != chunks;
  if (hasTail) std::memcpy(tail, a.x + full * kCols, a.K - full * kCols);
  const __m512i table0 = _mm512_load_si512(kLow4.bytes), table1 = _mm512_load_si512(kLow4.bytes + 64);
  const __m512i sum = _mm512_set1_epi32(a.x_sums ? a.x_sums[0] : sumOf(a.x, a.K));
  const int64_t groupEnd = (row_end + TERN_TILE_ROWS - 1) / TERN_TILE_ROWS;
  for (int64_t g = row_begin / TERN_TILE_ROWS; g < groupEnd; ++g) {
    const __m512i r =
        gemvGroup(a.w + g * groupBytes, a.x, full, hasTail ? tail : nullptr, table0, table1);
    addRows(a.out + g * TERN_TILE_ROWS, _mm512_sub_epi32(r, sum),
            std::min<int64_t>(TERN_TILE_ROWS, row_end - g * TERN_TILE_ROWS));
  }
}

extern "C" void ternary_gemm_x86_64_avx512_vbmi(const tern_ternary_args *args, int64_t row_begin,
                                                int64_t row_end) {
  const tern_ternary_args &a = *args;
  row_end = std::min(row_end, a.N);
  if (row_begin >= row_end) return;
  const __m512i table0 = _mm512_load_si512(kLow4.bytes), table1 = _mm512_load_si512(kLow4.bytes + 64);
  int64_t t = 0;
  for (; t + 16 <= a.T; t += 16) gemmTokens<16>(a, t, row_begin, row_end, table0, table1);
  if (a.T - t >= 8) { gemmTokens<8>(a, t, row_begin, row_end, table0, table1); t += 8; }
  if (a.T - t >= 4) { gemmTokens<4>(a, t, row_begin, row_end, table0, table1); t += 4; }
  if (a.T - t >= 2) { gemmTokens<2>(a, t, row_begin, row_end, table0, table1); t += 2; }
  if (a.T - t >= 1) { gemmTokens<1>(a, t, row_begin, row_end, table0, table1); t += 1; }
}
