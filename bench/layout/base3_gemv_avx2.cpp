// base3_tiled and two_bit_tiled decode GEMVs with AVX2 only (gemv_avx2.h); built with -mavx2 -mfma.
//
// AVX2 has no byte table larger than pshufb's 16 entries and no byte multiply, so a base-3 byte
// (243 values) cannot be looked up in one step as with AVX-512 VBMI's vpermi2b. The Shuffles decode
// narrows the byte with subtract-min rounds (r = min(r, r - m) subtracts m exactly when r >= m,
// since the byte wraps otherwise) until what is left indexes 16-entry tables. The Multiplies decode
// avoids digits altogether: with q_j = floor(b / 3^j), code_j = q_j - 3 q_{j+1}, so
// sum_j code_j x_j = sum_j q_j (x_j - 3 x_{j-1}).
//
// Shuffles walks a row group's chunks in order, one 32-byte half (8 rows) at a time, as the
// production two_bit_tiled AVX2 kernel (runtime/kernels/ternary_x86_64_avx2.cpp); the half's bytes of the
// group (K = 5632: 9 KiB) are in L1 or L2 when the second half reads them. Shuffles sums 5
// vpmaddubsw per half and chunk in int16 for at most 12 chunks (|pair| <= 2 * 2 * 128 = 512,
// 5 * 512 * 12 = 30720), then widens. Multiplies takes both halves per chunk and sums in int32 (exact modulo 2^32, and
// the result fits).
#include "gemv_avx2.h"

#include "avx2_tiles.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tern::bench {
namespace {

constexpr int kRows = 16, kBase3Cols = 20, kTwoBitCols = 16, kChunkBytes = 64;
constexpr int64_t kChunksPerInt16Sum = 12;  // Shuffles: 5 * 512 * 12 < 32768

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- Shuffles.

// pshufb tables (the same 16 bytes in both 128-bit lanes): s = r mod 9 = code_0 + 3 code_1 gives
// code_0 and code_1; a9 = 9 * (code_2 + 3 code_3), indexed by its low nibble (9a mod 16 is
// distinct for a = 0..8, and a9 < 128 keeps pshufb's zeroing bit clear), gives code_2 and code_3.
struct ShuffleTables {
  alignas(32) uint8_t code0[32], code1[32], code2[32], code3[32];
  ShuffleTables() {
    std::memset(this, 0, sizeof *this);
    for (int lane = 0; lane < 2; ++lane)
      for (int v = 0; v < 9; ++v) {
        code0[16 * lane + v] = uint8_t(v % 3);
        code1[16 * lane + v] = uint8_t(v / 3);
        code2[16 * lane + (9 * v) % 16] = uint8_t(v % 3);
        code3[16 * lane + (9 * v) % 16] = uint8_t(v / 3);
      }
  }
};
const ShuffleTables kShuffleTables;

// The byte constants of the decode, read as memory operands: held in registers next to the 4
// tables they make GCC spill and rebuild them in the loop (16 ymm registers in all).
struct RoundConsts {
  alignas(32) uint8_t c81[32], c72[32], c36[32], c18[32], c9[32], three[32];
  RoundConsts() {
    std::memset(c81, 81, 32), std::memset(c72, 72, 32), std::memset(c36, 36, 32);
    std::memset(c18, 18, 32), std::memset(c9, 9, 32), std::memset(three, 3, 32);
  }
};
const RoundConsts kRoundConsts;

struct ShuffleConsts {
  const __m256i t0 = _mm256_load_si256(reinterpret_cast<const __m256i *>(kShuffleTables.code0));
  const __m256i t1 = _mm256_load_si256(reinterpret_cast<const __m256i *>(kShuffleTables.code1));
  const __m256i t2 = _mm256_load_si256(reinterpret_cast<const __m256i *>(kShuffleTables.code2));
  const __m256i t3 = _mm256_load_si256(reinterpret_cast<const __m256i *>(kShuffleTables.code3));
};

inline __m256i load32(const uint8_t *p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i *>(p));
}

// r - m where r >= m, else r (unsigned bytes).
inline __m256i subtractIfAtLeast(__m256i r, __m256i m) {
  return _mm256_min_epu8(r, _mm256_sub_epi8(r, m));
}

// The 5 digit blocks (codes 0..2 in bytes) of 32 bytes of base3_tiled.
inline void decodeShuffles(__m256i p, const ShuffleConsts &k, __m256i d[5]) {
  const RoundConsts *c = &kRoundConsts;
  __asm__("" : "+r"(c));  // not loop-invariant to GCC: the constants stay memory operands
  const __m256i r = subtractIfAtLeast(subtractIfAtLeast(p, load32(c->c81)), load32(c->c81));
  // r = p mod 81; p - r = 81 * code_4 (0, 0x51 or 0xa2): code_4 is its top two bits.
  d[4] = _mm256_and_si256(_mm256_srli_epi16(_mm256_sub_epi8(p, r), 6), load32(c->three));
  // r < 81: s < 72, < 36, < 18, < 9, each step a multiple of 9: s = r mod 9.
  __m256i s = subtractIfAtLeast(r, load32(c->c72));
  s = subtractIfAtLeast(s, load32(c->c36));
  s = subtractIfAtLeast(s, load32(c->c18));
  s = subtractIfAtLeast(s, load32(c->c9));
  const __m256i a9 = _mm256_sub_epi8(r, s);
  d[0] = _mm256_shuffle_epi8(k.t0, s);
  d[1] = _mm256_shuffle_epi8(k.t1, s);
  d[2] = _mm256_shuffle_epi8(k.t2, a9);
  d[3] = _mm256_shuffle_epi8(k.t3, a9);
}

// acc16 + sum over the 5 digit blocks of 32 bytes at `w` of vpmaddubsw(codes, 4 bytes of xc).
__attribute__((always_inline)) inline __m256i stepShuffles(const uint8_t *w, const int8_t *xc,
                                                           const ShuffleConsts &k, __m256i acc16) {
  __m256i d[5];
  decodeShuffles(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(w)), k, d);
  const __m256i m01 = _mm256_add_epi16(_mm256_maddubs_epi16(d[0], broadcast4(xc)),
                                       _mm256_maddubs_epi16(d[1], broadcast4(xc + 4)));
  const __m256i m23 = _mm256_add_epi16(_mm256_maddubs_epi16(d[2], broadcast4(xc + 8)),
                                       _mm256_maddubs_epi16(d[3], broadcast4(xc + 12)));
  const __m256i m4 = _mm256_maddubs_epi16(d[4], broadcast4(xc + 16));
  return _mm256_add_epi16(acc16, _mm256_add_epi16(_mm256_add_epi16(m01, m23), m4));
}

// Row sums of codes * x of one half row group (8 rows; `half` is its first 32 bytes in the group):
// `full` chunks with activations in place at x (`cols` per chunk), then `tail` (zero-padded) if
// not null, summed in int16 for `perInt16Sum` chunks at a time.
template <typename Step>
__m256i halfRows(const uint8_t *half, const int8_t *x, int64_t full, const int8_t *tail, int cols,
                 int64_t perInt16Sum, Step step) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc32 = _mm256_setzero_si256();
  const int64_t chunks = full + (tail ? 1 : 0);
  for (int64_t c0 = 0; c0 < chunks; c0 += perInt16Sum) {
    const int64_t c1 = std::min(chunks, c0 + perInt16Sum), f1 = std::min(c1, full);
    __m256i acc16 = _mm256_setzero_si256();
    for (int64_t c = c0; c < f1; ++c) acc16 = step(half + c * kChunkBytes, x + c * cols, acc16);
    if (c1 > full) acc16 = step(half + full * kChunkBytes, tail, acc16);
    acc32 = _mm256_add_epi32(acc32, _mm256_madd_epi16(acc16, ones));
  }
  return acc32;
}

// ---- Multiplies.

// ceil(2^16 / 3^j): vpmulhuw(v, m) = floor(v / 3^j) for every byte value v <= 242 (the rounding
// error, at most 242 * (m - 2^16 / 3^j) / 2^16 < 0.004, stays below 1 / 3^j).
constexpr uint16_t kDivide3[5] = {0, 21846, 7282, 2428, 810};

// y pairs of one call: for chunk c, digit j, parity e (columns i = e and e + 2), the int32
// (y[20c + 4j + e], y[20c + 4j + e + 2]) as two int16, y_j = x_j - 3 x_{j-1} (x_{-1} = 0) within the
// chunk. Padded columns have x = 0.
void yPairsOf(const int8_t *x, int64_t K, int64_t chunks, std::vector<int32_t> &pairs) {
  pairs.assign(chunks * 10, 0);
  auto xAt = [&](int64_t c, int j, int i) -> int32_t {
    const int64_t k = c * kBase3Cols + 4 * j + i;
    return j >= 0 && k < K ? x[k] : 0;
  };
  for (int64_t c = 0; c < chunks; ++c)
    for (int j = 0; j < 5; ++j)
      for (int e = 0; e < 2; ++e) {
        const int32_t lo = xAt(c, j, e) - 3 * xAt(c, j - 1, e);
        const int32_t hi = xAt(c, j, e + 2) - 3 * xAt(c, j - 1, e + 2);
        pairs[c * 10 + 2 * j + e] = int32_t(uint32_t(uint16_t(int16_t(lo))) |
                                            (uint32_t(uint16_t(int16_t(hi))) << 16));
      }
}

// acc += sum_j q_j(v) . y pair j, for the 16-bit lanes v of one parity.
inline __m256i dotQuotients(__m256i v, const int32_t *pairs, int parity, __m256i acc) {
  __m256i a = _mm256_madd_epi16(v, _mm256_set1_epi32(pairs[parity]));
  for (int j = 1; j < 5; ++j) {
    const __m256i q = _mm256_mulhi_epu16(v, _mm256_set1_epi16(short(kDivide3[j])));
    a = _mm256_add_epi32(a, _mm256_madd_epi16(q, _mm256_set1_epi32(pairs[2 * j + parity])));
  }
  return _mm256_add_epi32(acc, a);
}

inline void groupMultiplies(const uint8_t *w, int64_t chunks, const int32_t *pairs,
                            __m256i acc32[2]) {
  const __m256i lowByte = _mm256_set1_epi16(0x00ff);
  acc32[0] = acc32[1] = _mm256_setzero_si256();
  for (int64_t c = 0; c < chunks; ++c)
    for (int h = 0; h < 2; ++h) {
      const __m256i p =
          _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + c * kChunkBytes + 32 * h));
      acc32[h] = dotQuotients(_mm256_and_si256(p, lowByte), pairs + c * 10, 0, acc32[h]);
      acc32[h] = dotQuotients(_mm256_srli_epi16(p, 8), pairs + c * 10, 1, acc32[h]);
    }
}

// Runs `group(g, acc32)` over the row groups of [rowBegin, rowEnd) and adds acc32 - xSum to out.
template <typename Group>
void forGroups(int32_t *out, int32_t xSum, int64_t N, int64_t rowBegin, int64_t rowEnd,
               Group group) {
  rowEnd = std::min(rowEnd, N);
  const __m256i sum = _mm256_set1_epi32(xSum);
  for (int64_t g = rowBegin / kRows; g * kRows < rowEnd; ++g) {
    __m256i acc32[2];
    group(g, acc32);
    for (int h = 0; h < 2; ++h) {
      const int64_t row0 = g * kRows + 8 * h;
      addRows(out + row0, _mm256_sub_epi32(acc32[h], sum), rowEnd - row0);
    }
  }
}

// The zero-padded activations of a partial last chunk (tail() null when K is a multiple of cols).
struct TailActivations {
  int64_t full;
  bool partial;
  alignas(32) int8_t bytes[32] = {};
  TailActivations(const int8_t *x, int64_t K, int cols)
      : full(K / cols), partial(K % cols != 0) {
    std::memcpy(bytes, x + full * cols, K - full * cols);
  }
  const int8_t *tail() const { return partial ? bytes : nullptr; }
};

}  // namespace

void base3GemvAvx2(const uint8_t *w, const int8_t *x, int32_t xSum, int32_t *out, int64_t N,
                   int64_t K, int64_t rowBegin, int64_t rowEnd, Base3Avx2Decode decode) {
  if (rowBegin >= std::min(rowEnd, N)) return;
  const int64_t chunks = ceilDiv(K, kBase3Cols), groupBytes = chunks * kChunkBytes;
  if (decode == Base3Avx2Decode::Shuffles) {
    const TailActivations t(x, K, kBase3Cols);
    const ShuffleConsts k;
    forGroups(out, xSum, N, rowBegin, rowEnd, [&](int64_t g, __m256i acc32[2]) {
      for (int h = 0; h < 2; ++h)
        acc32[h] = halfRows(w + g * groupBytes + 32 * h, x, t.full, t.tail(), kBase3Cols,
                            kChunksPerInt16Sum,
                            [&k](const uint8_t *wc, const int8_t *xc, __m256i acc16)
                                __attribute__((always_inline)) {
                                  return stepShuffles(wc, xc, k, acc16);
                                });
    });
  } else {
    thread_local std::vector<int32_t> pairs;
    yPairsOf(x, K, chunks, pairs);
    forGroups(out, xSum, N, rowBegin, rowEnd, [&](int64_t g, __m256i acc32[2]) {
      groupMultiplies(w + g * groupBytes, chunks, pairs.data(), acc32);
    });
  }
}

void twoBitGemvAvx2(const uint8_t *w, const int8_t *x, int32_t xSum, int32_t *out, int64_t N,
                    int64_t K, int64_t rowBegin, int64_t rowEnd) {
  if (rowBegin >= std::min(rowEnd, N)) return;
  const int64_t chunks = ceilDiv(K, kTwoBitCols), groupBytes = chunks * kChunkBytes;
  const TailActivations t(x, K, kTwoBitCols);
  forGroups(out, xSum, N, rowBegin, rowEnd, [&](int64_t g, __m256i acc32[2]) {
    for (int h = 0; h < 2; ++h)
      acc32[h] = halfRows(w + g * groupBytes + 32 * h, x, t.full, t.tail(), kTwoBitCols,
                          /*perInt16Sum=*/16, accumulateTwoBitChunk);
  });
}

}  // namespace tern::bench
