// The calls of ternary_kernels.h's signature into a Halide pipeline: halide_tiled_calls.h.
#include "halide_tiled_calls.h"

#include <algorithm>
#include <cstring>

namespace tern::halide {
namespace {

// Tokens per pipeline call of the gemm: bounds the stack arrays below.
constexpr int64_t kTokenBlock = 1024;

int32_t sumOf(const int8_t *x, int64_t K) {
  int32_t s = 0;
  for (int64_t k = 0; k < K; ++k) s += x[k];
  return s;
}

struct Geometry {
  int64_t chunks, fullChunks, groupBytes, groupBegin, fullGroupEnd, rowEnd;
};

Geometry geometryOf(const tern_ternary_args &a, int64_t rowBegin, int64_t rowEnd) {
  Geometry g;
  g.chunks = (a.K + TERN_TILE_COLS - 1) / TERN_TILE_COLS;
  g.fullChunks = a.K / TERN_TILE_COLS;
  g.groupBytes = g.chunks * TERN_TILE_BYTES;
  g.groupBegin = rowBegin / TERN_TILE_ROWS;
  g.rowEnd = std::min(rowEnd, a.N);
  g.fullGroupEnd = g.rowEnd / TERN_TILE_ROWS;  // groups with all 16 rows in range
  return g;
}

// The rows of the last, partial group (if any) on the generic kernel.
void partialGroup(const tern_ternary_args &a, const Geometry &g) {
  const int64_t first = std::max(g.fullGroupEnd, g.groupBegin) * TERN_TILE_ROWS;
  if (first < g.rowEnd) ternary_matmul_generic(&a, first, g.rowEnd);
}

// gemv over groups [groupBegin, groupEnd) and chunks [chunk0, chunk0 + chunks) of x.
void gemvCall(GemvPipeline pipeline, const tern_ternary_args &a, const Geometry &g,
              int64_t groupEnd, const int8_t *x, int64_t chunk0, int64_t chunks, int32_t sumX) {
  const int64_t groups = groupEnd - g.groupBegin;
  halide_dimension_t wd{0, int32_t(groups * g.groupBytes), 1, 0};
  halide_dimension_t xd{0, int32_t(std::max<int64_t>(chunks, 1) * TERN_TILE_COLS), 1, 0};
  halide_dimension_t od[2] = {{0, 16, 1, 0}, {0, int32_t(groups), 16, 0}};
  int32_t *out = a.out + g.groupBegin * TERN_TILE_ROWS;
  halide_buffer_t w = buffer(a.w + g.groupBegin * g.groupBytes + chunk0 * TERN_TILE_BYTES,
                             halide_type_of<uint8_t>(), 1, &wd);
  halide_buffer_t xb = buffer(x, halide_type_of<int8_t>(), 1, &xd);
  halide_buffer_t in = buffer(out, halide_type_of<int32_t>(), 2, od);
  halide_buffer_t ob = buffer(out, halide_type_of<int32_t>(), 2, od);
  pipeline(&w, &xb, int32_t(g.chunks), int32_t(chunks), sumX, &in, &ob);
}

// gemm of tokens [t0, t0 + T) over groups [groupBegin, groupEnd), chunks [chunk0, chunk0 + chunks).
void gemmCall(GemmPipeline pipeline, const tern_ternary_args &a, const Geometry &g,
              int64_t groupEnd, const int8_t *x, int64_t xStride, int64_t t0, int64_t T,
              int64_t chunk0, int64_t chunks, const int32_t *sums) {
  const int64_t groups = groupEnd - g.groupBegin;
  halide_dimension_t wd{0, int32_t(groups * g.groupBytes), 1, 0};
  halide_dimension_t xd[2] = {{0, int32_t(std::max<int64_t>(chunks, 1) * TERN_TILE_COLS), 1, 0},
                              {0, int32_t(T), int32_t(xStride), 0}};
  halide_dimension_t sd{0, int32_t(T), 1, 0};
  halide_dimension_t od[3] = {
      {0, 16, 1, 0}, {0, int32_t(groups), 16, 0}, {0, int32_t(T), int32_t(a.out_stride), 0}};
  int32_t *out = a.out + t0 * a.out_stride + g.groupBegin * TERN_TILE_ROWS;
  halide_buffer_t w = buffer(a.w + g.groupBegin * g.groupBytes + chunk0 * TERN_TILE_BYTES,
                             halide_type_of<uint8_t>(), 1, &wd);
  halide_buffer_t xb = buffer(x, halide_type_of<int8_t>(), 2, xd);
  halide_buffer_t sb = buffer(sums, halide_type_of<int32_t>(), 1, &sd);
  halide_buffer_t in = buffer(out, halide_type_of<int32_t>(), 3, od);
  halide_buffer_t ob = buffer(out, halide_type_of<int32_t>(), 3, od);
  pipeline(&w, &xb, int32_t(g.chunks), int32_t(chunks), &sb, &in, &ob);
}

}  // namespace

void tiledGemv(GemvPipeline pipeline, const tern_ternary_args &a, int64_t rowBegin,
               int64_t rowEnd) {
  const Geometry g = geometryOf(a, rowBegin, rowEnd);
  if (g.fullGroupEnd > g.groupBegin) {
    gemvCall(pipeline, a, g, g.fullGroupEnd, a.x, 0, g.fullChunks,
             a.x_sums ? a.x_sums[0] : sumOf(a.x, a.K));
    if (g.fullChunks < g.chunks) {
      int8_t tail[TERN_TILE_COLS] = {};
      std::memcpy(tail, a.x + g.fullChunks * TERN_TILE_COLS, a.K - g.fullChunks * TERN_TILE_COLS);
      gemvCall(pipeline, a, g, g.fullGroupEnd, tail, g.fullChunks, 1, 0);
    }
  }
  partialGroup(a, g);
}

void tiledGemm(GemmPipeline pipeline, const tern_ternary_args &a, int64_t rowBegin,
               int64_t rowEnd) {
  const Geometry g = geometryOf(a, rowBegin, rowEnd);
  if (g.fullGroupEnd > g.groupBegin) {
    int32_t sums[kTokenBlock], zeros[kTokenBlock] = {};
    int8_t tail[kTokenBlock * TERN_TILE_COLS];
    for (int64_t t0 = 0; t0 < a.T; t0 += kTokenBlock) {
      const int64_t T = std::min(kTokenBlock, a.T - t0);
      if (!a.x_sums)
        for (int64_t t = 0; t < T; ++t) sums[t] = sumOf(a.x + (t0 + t) * a.x_stride, a.K);
      gemmCall(pipeline, a, g, g.fullGroupEnd, a.x + t0 * a.x_stride, a.x_stride, t0, T, 0,
               g.fullChunks, a.x_sums ? a.x_sums + t0 : sums);
      if (g.fullChunks < g.chunks) {
        const int64_t rest = a.K - g.fullChunks * TERN_TILE_COLS;
        std::memset(tail, 0, size_t(T) * TERN_TILE_COLS);
        for (int64_t t = 0; t < T; ++t)
          std::memcpy(tail + t * TERN_TILE_COLS,
                      a.x + (t0 + t) * a.x_stride + g.fullChunks * TERN_TILE_COLS, rest);
        gemmCall(pipeline, a, g, g.fullGroupEnd, tail, TERN_TILE_COLS, t0, T, g.fullChunks, 1,
                 zeros);
      }
    }
  }
  partialGroup(a, g);
}

}  // namespace tern::halide
