// AVX2-only decode GEMVs for the layout benchmark (bench/layout/run.sh): base3_tiled (the runtime's
// byte layout, base3_gemv.h) without vpermi2b, and, for a fair comparison of the layouts rather
// than of two loops, two_bit_tiled in the same loop. Compiled with -mavx2 -mfma only
// (base3_gemv_avx2.cpp); results in docs/performance.md ("base3_tiled on AVX2").
#ifndef TERN_BENCH_LAYOUT_GEMV_AVX2_H
#define TERN_BENCH_LAYOUT_GEMV_AVX2_H

#include <cstdint>

namespace tern::bench {

// How the base3_tiled AVX2 kernel decodes the 5 digits of a byte (both exact).
enum class Base3Avx2Decode {
  // Byte ops and pshufb: r = b mod 81 by two subtract-min rounds, digit 4 = (b - r) >> 6;
  // s = r mod 9 by four more rounds (72, 36, 18, 9); digits 0, 1 from two 9-entry pshufb tables on
  // s, digits 2, 3 from two pshufb tables on r - s = 9 * (code_2 + 3 code_3) (its low nibble is
  // distinct for the 9 values). 20 byte ops per 32 bytes, then 5 vpmaddubsw.
  Shuffles,
  // 16-bit lanes: q_j = floor(b / 3^j) by vpmulhuw (even and odd bytes apart), and
  // sum_j code_j x_j = sum_j q_j (x_j - 3 x_{j-1}) by vpmaddwd against the activations
  // transformed once per call. No digit is ever extracted; 18 multiplies per 32 bytes.
  Multiplies,
};

// out[n] += sum_k x[k] * trit[n, k] for rows [row_begin, row_end) (row_begin a multiple of 16 or
// equal to row_end) of base3_tiled weights `w`; x_sum = sum of x[0, K). AVX2 only.
void base3GemvAvx2(const uint8_t *w, const int8_t *x, int32_t x_sum, int32_t *out, int64_t N,
                   int64_t K, int64_t row_begin, int64_t row_end, Base3Avx2Decode decode);

// The same for two_bit_tiled weights in the base-3 kernels' loop (the production AVX2 kernel's
// decode): the reference that tells the layout apart from the loop. AVX2 only.
void twoBitGemvAvx2(const uint8_t *w, const int8_t *x, int32_t x_sum, int32_t *out, int64_t N,
                    int64_t K, int64_t row_begin, int64_t row_end);

}  // namespace tern::bench

#endif  // TERN_BENCH_LAYOUT_GEMV_AVX2_H
