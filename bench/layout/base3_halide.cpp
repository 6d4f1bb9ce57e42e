// The Halide 14 base3_tiled kernels (runtime/kernels/halide/ternary_generators.cpp: generator
// ternary_gemv_base3 with decode=table and decode=rounds, and ternary_gemm_base3) behind the kernel
// signature of ternary_kernels.h, for base3_gemv_bench.cpp. As ternary_x86_64_avx512_vnni_halide.cpp: the
// pipeline takes whole chunks (20 columns) and whole groups of 16 rows; the last, partial chunk runs
// through it again over a zero-padded copy of its activations, the rows of a last, partial group go
// to the generic kernel.
#include <algorithm>
#include <cstring>

#include "HalideRuntime.h"
#include "base3_gemv.h"
#include "halide_tiled_calls.h"
#include "ternary_gemm_base3_avx512_vbmi_halide.h"
#include "ternary_gemv_base3_rounds_avx512_vbmi_halide.h"
#include "ternary_gemv_base3_table_avx512_vbmi_halide.h"
#include "ternary_kernels.h"

using tern::halide::buffer;

namespace {

using Pipeline = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, int32_t, int32_t,
                         int32_t, halide_buffer_t *, halide_buffer_t *);

constexpr int64_t kCols = TERN_BASE3_TILE_COLS;

// Byte r (< 81) -> code_0 | code_1 << 2 | code_2 << 4 | code_3 << 6; 256 entries (the pipeline's
// bounds), of which 0..80 are read.
struct Low4Table {
  uint8_t bytes[256];
  Low4Table() {
    for (int b = 0; b < 256; ++b) {
      int v = b % 81, packed = 0;
      for (int j = 0; j < 4; ++j, v /= 3) packed |= (v % 3) << (2 * j);
      bytes[b] = uint8_t(packed);
    }
  }
};
const Low4Table kLow4;

void call(Pipeline p, const tern_ternary_args &a, int64_t groupBegin, int64_t groupEnd,
          int64_t chunkStride, const int8_t *x, int64_t chunk0, int64_t chunks, int32_t sumX) {
  const int64_t groups = groupEnd - groupBegin, groupBytes = chunkStride * TERN_TILE_BYTES;
  halide_dimension_t wd{0, int32_t(groups * groupBytes), 1, 0};
  halide_dimension_t xd{0, int32_t(std::max<int64_t>(chunks, 1) * kCols), 1, 0};
  halide_dimension_t td{0, 256, 1, 0};
  halide_dimension_t od[2] = {{0, 16, 1, 0}, {0, int32_t(groups), 16, 0}};
  int32_t *out = a.out + groupBegin * TERN_TILE_ROWS;
  halide_buffer_t w = buffer(a.w + groupBegin * groupBytes + chunk0 * TERN_TILE_BYTES,
                             halide_type_of<uint8_t>(), 1, &wd);
  halide_buffer_t xb = buffer(x, halide_type_of<int8_t>(), 1, &xd);
  halide_buffer_t tb = buffer(kLow4.bytes, halide_type_of<uint8_t>(), 1, &td);
  halide_buffer_t in = buffer(out, halide_type_of<int32_t>(), 2, od);
  halide_buffer_t ob = buffer(out, halide_type_of<int32_t>(), 2, od);
  p(&w, &xb, &tb, int32_t(chunkStride), int32_t(chunks), sumX, &in, &ob);
}

void gemv(Pipeline p, const tern_ternary_args &a, int64_t rowBegin, int64_t rowEnd) {
  rowEnd = std::min(rowEnd, a.N);
  const int64_t chunks = (a.K + kCols - 1) / kCols, full = a.K / kCols;
  const int64_t groupBegin = rowBegin / TERN_TILE_ROWS, fullGroupEnd = rowEnd / TERN_TILE_ROWS;
  if (fullGroupEnd > groupBegin) {
    call(p, a, groupBegin, fullGroupEnd, chunks, a.x, 0, full, a.x_sums[0]);
    if (full < chunks) {
      int8_t tail[kCols] = {};
      std::memcpy(tail, a.x + full * kCols, a.K - full * kCols);
      call(p, a, groupBegin, fullGroupEnd, chunks, tail, full, 1, 0);
    }
  }
  const int64_t first = std::max(fullGroupEnd, groupBegin) * TERN_TILE_ROWS;
  if (first < rowEnd) ternary_matmul_generic(&a, first, rowEnd);
}

// gemm of tokens [t0, t0 + T) over groups [groupBegin, groupEnd), chunks [chunk0, chunk0 + chunks).
void gemmCall(const tern_ternary_args &a, int64_t groupBegin, int64_t groupEnd, int64_t chunkStride,
              const int8_t *x, int64_t xStride, int64_t t0, int64_t T, int64_t chunk0,
              int64_t chunks, const int32_t *sums) {
  const int64_t groups = groupEnd - groupBegin, groupBytes = chunkStride * TERN_TILE_BYTES;
  halide_dimension_t wd{0, int32_t(groups * groupBytes), 1, 0};
  halide_dimension_t xd[2] = {{0, int32_t(std::max<int64_t>(chunks, 1) * kCols), 1, 0},
                              {0, int32_t(T), int32_t(xStride), 0}};
  halide_dimension_t sd{0, int32_t(T), 1, 0};
  halide_dimension_t od[3] = {{0, 16, 1, 0},
                              {0, int32_t(groups), 16, 0},
                              {0, int32_t(T), int32_t(a.out_stride), 0}};
  int32_t *out = a.out + t0 * a.out_stride + groupBegin * TERN_TILE_ROWS;
  halide_buffer_t w = buffer(a.w + groupBegin * groupBytes + chunk0 * TERN_TILE_BYTES,
                             halide_type_of<uint8_t>(), 1, &wd);
  halide_buffer_t xb = buffer(x, halide_type_of<int8_t>(), 2, xd);
  halide_buffer_t sb = buffer(sums, halide_type_of<int32_t>(), 1, &sd);
  halide_buffer_t in = buffer(out, halide_type_of<int32_t>(), 3, od);
  halide_buffer_t ob = buffer(out, halide_type_of<int32_t>(), 3, od);
  ternary_gemm_base3_avx512_vbmi_halide(&w, &xb, int32_t(chunkStride), int32_t(chunks), &sb, &in,
                                        &ob);
}

int32_t sumOf(const int8_t *x, int64_t K) {
  int32_t s = 0;
  for (int64_t k = 0; k < K; ++k) s += x[k];
  return s;
}

constexpr int64_t kTokenBlock = 512;

void gemm(const tern_ternary_args &a, int64_t rowBegin, int64_t rowEnd) {
  rowEnd = std::min(rowEnd, a.N);
  const int64_t chunks = (a.K + kCols - 1) / kCols, full = a.K / kCols;
  const int64_t groupBegin = rowBegin / TERN_TILE_ROWS, fullGroupEnd = rowEnd / TERN_TILE_ROWS;
  if (fullGroupEnd > groupBegin) {
    static thread_local int32_t sums[kTokenBlock], zeros[kTokenBlock];
    static thread_local int8_t tail[kTokenBlock * kCols];
    for (int64_t t0 = 0; t0 < a.T; t0 += kTokenBlock) {
      const int64_t T = std::min(kTokenBlock, a.T - t0);
      for (int64_t t = 0; t < T; ++t)
        sums[t] = a.x_sums ? a.x_sums[t0 + t] : sumOf(a.x + (t0 + t) * a.x_stride, a.K);
      gemmCall(a, groupBegin, fullGroupEnd, chunks, a.x + t0 * a.x_stride, a.x_stride, t0, T, 0,
               full, sums);
      if (full < chunks) {
        std::memset(tail, 0, size_t(T) * kCols);
        for (int64_t t = 0; t < T; ++t)
          std::memcpy(tail + t * kCols, a.x + (t0 + t) * a.x_stride + full * kCols,
                      a.K - full * kCols);
        gemmCall(a, groupBegin, fullGroupEnd, chunks, tail, kCols, t0, T, full, 1, zeros);
      }
    }
  }
  const int64_t first = std::max(fullGroupEnd, groupBegin) * TERN_TILE_ROWS;
  if (first < rowEnd) ternary_matmul_generic(&a, first, rowEnd);
}

}  // namespace

namespace tern::bench {

void base3GemmHalide(const tern_ternary_args *a, int64_t rowBegin, int64_t rowEnd) {
  gemm(*a, rowBegin, rowEnd);
}


void base3GemvHalide(const tern_ternary_args *a, int64_t rowBegin, int64_t rowEnd, bool table) {
  gemv(table ? ternary_gemv_base3_table_avx512_vbmi_halide
             : ternary_gemv_base3_rounds_avx512_vbmi_halide,
       *a, rowBegin, rowEnd);
}

}  // namespace tern::bench
