/* Ternary accumulate microkernels: out[t, n] += sum_k x[t, k] * w[n, k] with int8 activations x,
 * trits w in {-1, 0, +1} stored in one of the #tern.packing layouts, and int32 results.
 *
 * Rules (as IREE's ukernels): C ABI, no allocation, no globals, reentrant; one file per ISA; names
 * `<op>_<arch>_<isa>`. Every kernel computes exactly the same integers as the generic one (sums of
 * int8 values, no rounding), so they are interchangeable; which one runs is decided at run time from
 * the CPU's features (runtime/src/kernel_dispatch.cpp). A kernel handles output rows
 * [row_begin, row_end), so a thread pool can split the rows of one call; for the tiled layout
 * row_begin must be a multiple of TERN_TILE_ROWS (or equal row_end).
 *
 * Layouts (dialects/Tern/IR/TernAttrs.td is the definition; dialects/Tern/IR/Packing.cpp writes them):
 *  - NONE:     one signed byte per trit, row-major [N, K].
 *  - TWO_BIT:  [N, ceil(K/4)] bytes; trit k of a row in bits 2*(k%4).. of byte k/4, code = trit + 1.
 *  - BASE3:    [N, ceil(K/5)] bytes; byte = sum_i (trit_i + 1) * 3^i over 5 trits.
 *  - TWO_BIT_TILED: rows in groups of 16 (N padded with zero trits to a multiple of 16), K in
 *    chunks of 16 (padded with zero trits). Group g is 64 * ceil(K/16) bytes at g * 64 * ceil(K/16);
 *    chunk c of the group is 64 bytes at c * 64 in it; byte 4*r + i of the chunk holds, in bits
 *    2*j and 2*j+1, the code (trit + 1) of row 16*g + r, column 16*c + 4*j + i. So bit pair j of a
 *    chunk, masked out, is a 16 rows x 4 columns block of unsigned bytes: one VNNI (vpdpbusd) or
 *    dotprod (udot/sdot) operand against 4 broadcast activation bytes, with no shuffles.
 */
#ifndef TERN_RUNTIME_KERNELS_TERNARY_KERNELS_H
#define TERN_RUNTIME_KERNELS_TERNARY_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tern_trit_layout {
  TERN_LAYOUT_NONE = 0,
  TERN_LAYOUT_TWO_BIT = 1,
  TERN_LAYOUT_BASE3 = 2,
  TERN_LAYOUT_TWO_BIT_TILED = 3,
} tern_trit_layout;

enum { TERN_TILE_ROWS = 16, TERN_TILE_COLS = 16, TERN_TILE_BYTES = 64 };

/* The largest K the SIMD kernels take: their int32 lanes hold up to 64 * 2 * 128 * K before the
 * final scaling. Larger K goes to the generic kernel (the dispatcher checks). */
enum { TERN_SIMD_MAX_K = 1 << 17 };

/* One ternary accumulate: x is [T, K] int8 (row stride x_stride bytes), w the packed weights of
 * [N, K] trits in `layout`, out is [T, N] int32 (row stride out_stride elements), accumulated into. */
typedef struct tern_ternary_args {
  const int8_t *x;
  int64_t x_stride;
  const uint8_t *w;
  int32_t *out;
  int64_t out_stride;
  int64_t T, K, N;
  tern_trit_layout layout;
} tern_ternary_args;

typedef void (*tern_ternary_kernel)(const tern_ternary_args *args, int64_t row_begin,
                                    int64_t row_end);

/* Bytes of packed weights for [N, K] trits in `layout`. */
int64_t tern_packed_bytes(tern_trit_layout layout, int64_t N, int64_t K);

/* Portable C++: every layout, any T. The reference the others are tested against. */
void ternary_matmul_generic(const tern_ternary_args *args, int64_t row_begin, int64_t row_end);

/* TWO_BIT_TILED only. gemv: T == 1 (decode); gemm: any T (prefill). */
void ternary_gemv_x86_64_avx2(const tern_ternary_args *args, int64_t row_begin, int64_t row_end);
void ternary_gemm_x86_64_avx2(const tern_ternary_args *args, int64_t row_begin, int64_t row_end);
void ternary_gemv_x86_64_avx512_vnni(const tern_ternary_args *args, int64_t row_begin,
                                     int64_t row_end);
void ternary_gemm_x86_64_avx512_vnni(const tern_ternary_args *args, int64_t row_begin,
                                     int64_t row_end);
void ternary_gemv_arm_64_dotprod(const tern_ternary_args *args, int64_t row_begin,
                                 int64_t row_end);
void ternary_gemm_arm_64_dotprod(const tern_ternary_args *args, int64_t row_begin,
                                 int64_t row_end);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_KERNELS_TERNARY_KERNELS_H */
