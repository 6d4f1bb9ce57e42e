// base3_tiled packing and its AVX-512 decode GEMV (base3_gemv.h).
//
// A chunk (64 bytes, 16 rows x 20 columns) costs 1 load, the digit decode, 4 vpandd that keep
// digits 0..3 in place as code << 2j (one accumulator per j, scaled back exactly at the end, as the
// two_bit_tiled kernel does) and 5 vpdpbusd with the activations broadcast from memory; prefetch
// into L1 6 KiB ahead, as the production kernel. The fastest decode (SubtractMin, 5 byte ops and
// one vpermi2b) needs no mask registers; the other two are kept for the comparison in
// docs/performance.md.
#include "base3_gemv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace tern::bench {
namespace {

constexpr int kPrefetchBytes = 6144;

// 81 * kInverseOf81 = 1 modulo 2^32: multiplying an exact multiple of 81 by it divides by 81.
constexpr uint32_t inverseOdd(uint32_t a) {
  uint32_t x = a;  // Newton: each step doubles the correct low bits (a * a = 1 mod 8)
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
constexpr uint32_t kInverseOf81 = inverseOdd(81);
static_assert(uint32_t(81u * kInverseOf81) == 1u, "inverse of 81 modulo 2^32");

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Table byte b -> code_0 | code_1 << 2 | code_2 << 4 | code_3 << 6 (digits of b in base 3), and
// b -> code_4. Entries past 242 never occur.
struct Tables {
  alignas(64) uint8_t low4[256];
  alignas(64) uint8_t digit4[256];
  Tables() {
    for (int b = 0; b < 256; ++b) {
      int v = std::min(b, 242), packed = 0;
      for (int j = 0; j < 4; ++j, v /= 3) packed |= (v % 3) << (2 * j);
      low4[b] = uint8_t(packed);
      digit4[b] = uint8_t(v);
    }
  }
};
const Tables kTables;

// A 256-entry byte table in 4 registers; lookup(p) = table[p] for every byte of p.
struct Lut256 {
  __m512i t0, t1, t2, t3;
  explicit Lut256(const uint8_t *table)
      : t0(_mm512_load_si512(table)), t1(_mm512_load_si512(table + 64)),
        t2(_mm512_load_si512(table + 128)), t3(_mm512_load_si512(table + 192)) {}
  __m512i lookup(__m512i p, __mmask64 top) const {
    const __m512i lo = _mm512_permutex2var_epi8(t0, p, t1);  // uses bits 0..6 of p
    const __m512i hi = _mm512_permutex2var_epi8(t2, p, t3);
    return _mm512_mask_blend_epi8(top, lo, hi);
  }
};

// acc += w . (4 bytes at x broadcast), the broadcast folded into vpdpbusd's memory operand.
inline __m512i dpbusdBroadcast(__m512i acc, __m512i w, const int8_t *x) {
  __asm__("vpdpbusd %2%{1to16%}, %1, %0"
          : "+v"(acc)
          : "v"(w), "m"(*reinterpret_cast<const int32_t *>(x)));
  return acc;
}

// The 16 row sums of codes * x over one row group. `x` covers the full chunks, `tail` (20
// zero-padded bytes) the last, partial one if any.
template <Base3Decode D>
inline __m512i gemvGroup(const uint8_t *w, const int8_t *x, int64_t fullChunks, const int8_t *tail,
                         const Lut256 &low4, const Lut256 &digit4) {
  const __m512i m0 = _mm512_set1_epi8(0x03), m1 = _mm512_set1_epi8(0x0c),
                m2 = _mm512_set1_epi8(0x30), m3 = _mm512_set1_epi8(char(0xc0));
  const __m512i b81 = _mm512_set1_epi8(char(81)), b162 = _mm512_set1_epi8(char(162)),
                one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2);
  __m512i a[2][5];
  for (int u = 0; u < 2; ++u)
    for (int j = 0; j < 5; ++j) a[u][j] = _mm512_setzero_si512();
  auto step = [&](int u, const uint8_t *chunk, const int8_t *xc) __attribute__((always_inline)) {
    _mm_prefetch(reinterpret_cast<const char *>(chunk) + kPrefetchBytes, _MM_HINT_T0);
    const __m512i p = _mm512_loadu_si512(chunk);
    __m512i d03, d4;
    if constexpr (D == Base3Decode::SubtractMin) {
      __m512i r = _mm512_min_epu8(p, _mm512_sub_epi8(p, b81));
      r = _mm512_min_epu8(r, _mm512_sub_epi8(r, b81));
      d4 = _mm512_sub_epi8(p, r);                           // 81 * code_4
      d03 = _mm512_permutex2var_epi8(low4.t0, r, low4.t1);  // r < 81: the first 128 entries
    } else {
      const __mmask64 top = _mm512_movepi8_mask(p);
      d03 = low4.lookup(p, top);
      if constexpr (D == Base3Decode::TwoTables) {
        d4 = digit4.lookup(p, top);
      } else {
        d4 = _mm512_maskz_mov_epi8(_mm512_cmpge_epu8_mask(p, b81), one);
        d4 = _mm512_mask_mov_epi8(d4, _mm512_cmpge_epu8_mask(p, b162), two);
      }
    }
    a[u][0] = dpbusdBroadcast(a[u][0], _mm512_and_si512(d03, m0), xc);
    a[u][1] = dpbusdBroadcast(a[u][1], _mm512_and_si512(d03, m1), xc + 4);
    a[u][2] = dpbusdBroadcast(a[u][2], _mm512_and_si512(d03, m2), xc + 8);
    a[u][3] = dpbusdBroadcast(a[u][3], _mm512_and_si512(d03, m3), xc + 12);
    a[u][4] = dpbusdBroadcast(a[u][4], d4, xc + 16);
  };
  int64_t c = 0;
  for (; c + 2 <= fullChunks; c += 2) {
    step(0, w + c * kBase3ChunkBytes, x + c * kBase3Cols);
    step(1, w + (c + 1) * kBase3ChunkBytes, x + (c + 1) * kBase3Cols);
  }
  if (c < fullChunks) {
    step(0, w + c * kBase3ChunkBytes, x + c * kBase3Cols);
    ++c;
  }
  if (tail) step(1, w + c * kBase3ChunkBytes, tail);
  __m512i s[5];
  for (int j = 0; j < 5; ++j) s[j] = _mm512_add_epi32(a[0][j], a[1][j]);
  // Digit j < 4 was multiplied in place, as code << 2j: scale back exactly.
  __m512i r = _mm512_add_epi32(s[0], _mm512_srai_epi32(s[1], 2));
  r = _mm512_add_epi32(r, _mm512_srai_epi32(s[2], 4));
  r = _mm512_add_epi32(r, _mm512_srai_epi32(s[3], 6));
  if constexpr (D == Base3Decode::SubtractMin)  // digit 4 was multiplied as 81 * code_4
    s[4] = _mm512_mullo_epi32(s[4], _mm512_set1_epi32(int32_t(kInverseOf81)));
  return _mm512_add_epi32(r, s[4]);
}

inline void addRows(int32_t *out, __m512i v, int64_t rows) {
  const __mmask16 m = rows >= 16 ? __mmask16(0xffff) : __mmask16((1u << rows) - 1);
  _mm512_mask_storeu_epi32(out, m, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, out), v));
}

template <Base3Decode D>
void gemv(const uint8_t *w, const int8_t *x, int32_t xSum, int32_t *out, int64_t N, int64_t K,
          int64_t rowBegin, int64_t rowEnd) {
  rowEnd = std::min(rowEnd, N);
  if (rowBegin >= rowEnd) return;
  const int64_t chunks = ceilDiv(K, kBase3Cols), full = K / kBase3Cols;
  const int64_t groupBytes = chunks * kBase3ChunkBytes;
  alignas(32) int8_t tail[kBase3Cols] = {};
  const bool hasTail = full != chunks;
  if (hasTail) std::memcpy(tail, x + full * kBase3Cols, K - full * kBase3Cols);
  const Lut256 low4(kTables.low4), digit4(kTables.digit4);
  const __m512i sum = _mm512_set1_epi32(xSum);
  const int64_t groupEnd = ceilDiv(rowEnd, kBase3Rows);
  for (int64_t g = rowBegin / kBase3Rows; g < groupEnd; ++g) {
    const __m512i r =
        gemvGroup<D>(w + g * groupBytes, x, full, hasTail ? tail : nullptr, low4, digit4);
    addRows(out + g * kBase3Rows, _mm512_sub_epi32(r, sum),
            std::min<int64_t>(kBase3Rows, rowEnd - g * kBase3Rows));
  }
}

}  // namespace

int64_t base3TiledBytes(int64_t N, int64_t K) {
  return ceilDiv(N, kBase3Rows) * ceilDiv(K, kBase3Cols) * kBase3ChunkBytes;
}

void packBase3Tiled(const int8_t *trits, int64_t N, int64_t K, uint8_t *out) {
  static const int kPow3[5] = {1, 3, 9, 27, 81};
  const int64_t groups = ceilDiv(N, kBase3Rows), chunks = ceilDiv(K, kBase3Cols);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < chunks; ++c) {
      uint8_t *chunk = out + (g * chunks + c) * kBase3ChunkBytes;
      for (int r = 0; r < kBase3Rows; ++r)
        for (int i = 0; i < 4; ++i) {
          int value = 0;
          for (int j = 0; j < 5; ++j) {
            const int64_t n = g * kBase3Rows + r, k = c * kBase3Cols + 4 * j + i;
            const int code = (n < N && k < K) ? trits[n * K + k] + 1 : 1;  // padding: trit 0
            value += code * kPow3[j];
          }
          chunk[4 * r + i] = uint8_t(value);
        }
    }
}

void base3GemvAvx512(const uint8_t *w, const int8_t *x, int32_t x_sum, int32_t *out, int64_t N,
                     int64_t K, int64_t row_begin, int64_t row_end, Base3Decode decode) {
  if (decode == Base3Decode::TwoTables)
    gemv<Base3Decode::TwoTables>(w, x, x_sum, out, N, K, row_begin, row_end);
  else if (decode == Base3Decode::SubtractMin)
    gemv<Base3Decode::SubtractMin>(w, x, x_sum, out, N, K, row_begin, row_end);
  else
    gemv<Base3Decode::TableAndCompares>(w, x, x_sum, out, N, K, row_begin, row_end);
}

}  // namespace tern::bench
