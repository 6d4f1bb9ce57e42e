// Pieces the AVX-512 kernels of the tiled layouts share (two_bit_tiled in
// ternary_x86_64_avx512_vnni.cpp, base3_tiled in ternary_x86_64_avx512_vbmi.cpp): both keep 16 rows
// of a row group in the 16 int32 lanes of a register and broadcast 4 activation bytes per vpdpbusd.
// Include only from files compiled for AVX-512 (BW, VNNI); everything here has internal linkage, so
// each kernel file keeps its own copy, compiled with its own instruction set.
#ifndef TERN_RUNTIME_KERNELS_AVX512_TILES_H
#define TERN_RUNTIME_KERNELS_AVX512_TILES_H

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "ternary_kernels.h"

namespace {

inline int32_t sumOf(const int8_t *x, int64_t K) {
  int32_t s = 0;
  for (int64_t k = 0; k < K; ++k) s += x[k];
  return s;
}

inline __m512i broadcast4(const int8_t *p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Adds the 16 lanes of `v` to out[0, rows) (rows <= 16).
inline void addRows(int32_t *out, __m512i v, int64_t rows) {
  if (rows >= 16) {
    _mm512_storeu_si512(out, _mm512_add_epi32(_mm512_loadu_si512(out), v));
  } else {
    __mmask16 m = __mmask16((1u << rows) - 1);
    _mm512_mask_storeu_epi32(out, m, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, out), v));
  }
}

// acc += w . (4 bytes at x, broadcast to every lane), with the broadcast folded into vpdpbusd's
// memory operand (compilers do not fold _mm512_set1_epi32 of a load): fewer instructions per
// weight byte keep more loads in flight.
inline __m512i dpbusdBroadcast(__m512i acc, __m512i w, const int8_t *x) {
  __asm__("vpdpbusd %2%{1to16%}, %1, %0"
          : "+v"(acc)
          : "v"(w), "m"(*reinterpret_cast<const int32_t *>(x)));
  return acc;
}

// A gemm's tokens t0 .. t0 + TB - 1 before their row groups: each token's activation sum (given, or
// computed) and, when K is not a multiple of the chunk's `Cols` columns, its last partial chunk
// copied and zero-padded into `tail` (TB x Cols bytes).
template <int TB, int64_t Cols>
void stageTokens(const tern_ternary_args &a, int64_t t0, int64_t full, bool hasTail, int8_t *tail,
                 int32_t *sums) {
  for (int t = 0; t < TB; ++t) {
    const int8_t *xt = a.x + (t0 + t) * a.x_stride;
    sums[t] = a.x_sums ? a.x_sums[t0 + t] : sumOf(xt, a.K);
    if (hasTail) {
      std::memset(tail + t * Cols, 0, Cols);
      std::memcpy(tail + t * Cols, xt + full * Cols, a.K - full * Cols);
    }
  }
}

}  // namespace

#endif  // TERN_RUNTIME_KERNELS_AVX512_TILES_H
