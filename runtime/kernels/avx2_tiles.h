// Pieces of the AVX2 two_bit_tiled kernels (ternary_x86_64_avx2.cpp) that the layout benchmark's
// AVX2 GEMVs (bench/layout/base3_gemv_avx2.cpp) use too: a 32-byte half chunk holds 8 rows, one
// int16 or int32 lane per row, against 4 broadcast activation bytes per vpmaddubsw.
// Include only from files compiled for AVX2; everything here has internal linkage, so each file
// keeps its own copy, compiled with its own instruction set.
#ifndef TERN_RUNTIME_KERNELS_AVX2_TILES_H
#define TERN_RUNTIME_KERNELS_AVX2_TILES_H

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace {

inline __m256i broadcast4(const int8_t *p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Adds the 8 lanes of `v` to out[0, rows) (rows may be below 8, or <= 0: then only those, or
// nothing, are written).
inline void addRows(int32_t *out, __m256i v, int64_t rows) {
  if (rows >= 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out),
                        _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<__m256i *>(out)), v));
    return;
  }
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), v);
  for (int64_t r = 0; r < rows; ++r) out[r] += lanes[r];
}

// acc16 plus the codes (trit + 1) of one two_bit_tiled 32-byte half chunk times the chunk's 16
// activation bytes xc: the four bit pairs, shifted down and masked, each against 4 broadcast bytes,
// added as a tree (one add on the accumulator's chain per chunk, not four).
__attribute__((always_inline)) inline __m256i accumulateTwoBitChunk(const uint8_t *half,
                                                                    const int8_t *xc,
                                                                    __m256i acc16) {
  const __m256i low = _mm256_set1_epi8(0x03);
  const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(half));
  const __m256i m0 = _mm256_maddubs_epi16(_mm256_and_si256(p, low), broadcast4(xc));
  const __m256i m1 =
      _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(p, 2), low), broadcast4(xc + 4));
  const __m256i m2 =
      _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(p, 4), low), broadcast4(xc + 8));
  const __m256i m3 =
      _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(p, 6), low), broadcast4(xc + 12));
  return _mm256_add_epi16(acc16,
                          _mm256_add_epi16(_mm256_add_epi16(m0, m1), _mm256_add_epi16(m2, m3)));
}

}  // namespace

#endif  // TERN_RUNTIME_KERNELS_AVX2_TILES_H
