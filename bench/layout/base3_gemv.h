// A base-3 weight layout for decode (5 trits per byte, 1.6 bits per trit) and its AVX-512 GEMV,
// built to measure against the production two_bit_tiled kernels (bench/layout/run.sh). The
// prototype of the runtime's base3_tiled kernels (runtime/kernels/ternary_x86_64_avx512_vbmi.cpp,
// the SubtractMin decode), kept with its two slower decodes for the comparison.
//
// Layout "base3_tiled": rows in groups of 16 (N padded with zero trits to a multiple of 16), K in
// chunks of 20 columns (padded with zero trits). Group g is 64 * ceil(K/20) bytes at
// g * 64 * ceil(K/20); chunk c of the group is 64 bytes at c * 64 in it. Byte 4*r + i of a chunk is
// sum_j code_j * 3^j (j = 0..4, code = trit + 1) where code_j is the trit of row 16*g + r, column
// 20*c + 4*j + i. So digit j of every byte of a chunk is a 16 rows x 4 columns block: one vpdpbusd
// against 4 broadcast activation bytes, as in two_bit_tiled, with 5 blocks per 64 bytes instead of 4.
#ifndef TERN_BENCH_LAYOUT_BASE3_GEMV_H
#define TERN_BENCH_LAYOUT_BASE3_GEMV_H

#include <cstdint>

namespace tern::bench {

enum { kBase3Rows = 16, kBase3Cols = 20, kBase3ChunkBytes = 64 };

// Bytes of [N, K] trits in base3_tiled.
int64_t base3TiledBytes(int64_t N, int64_t K);

// Packs row-major trits [N, K] (-1, 0, +1) into base3_tiled at `out` (base3TiledBytes(N, K) bytes).
void packBase3Tiled(const int8_t *trits, int64_t N, int64_t K, uint8_t *out);

// How the kernel decodes digits 0..3 and digit 4 of a byte (both exact; they differ in speed).
enum class Base3Decode {
  // Digits 0..3 as a two_bit byte (code_j << 2j) from a 256-entry table (2 vpermi2b + 1 blend on
  // the top bit), digit 4 from a second table the same way.
  TwoTables,
  // Digits 0..3 from the table; digit 4 = [b >= 81] + [b >= 162] from two compares into masks.
  TableAndCompares,
  // No compares, no blend: r = b mod 81 from two rounds of r = min(r, r - 81) (bytes wrap, so the
  // subtraction wins only when r >= 81), then digits 0..3 from one 128-entry table (one vpermi2b),
  // and digit 4 kept in place as b - r = 81 * code_4, scaled back at the end by multiplying with
  // the inverse of 81 modulo 2^32 (exact: the sum is a multiple of 81).
  SubtractMin,
};

// out[n] += sum_k x[k] * trit[n, k] for rows [row_begin, row_end) (row_begin a multiple of 16 or
// equal to row_end) of base3_tiled weights `w`; x_sum = sum of x[0, K). AVX-512 BW + VBMI + VNNI.
void base3GemvAvx512(const uint8_t *w, const int8_t *x, int32_t x_sum, int32_t *out, int64_t N,
                     int64_t K, int64_t row_begin, int64_t row_end,
                     Base3Decode decode = Base3Decode::TwoTables);

}  // namespace tern::bench

#endif  // TERN_BENCH_LAYOUT_BASE3_GEMV_H
