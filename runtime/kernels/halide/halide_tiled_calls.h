// The Halide-generated two_bit_tiled pipelines (ternary_generators.cpp) behind the kernel signature
// of ternary_kernels.h, whatever target they were generated for: the per-ISA wrappers
// (ternary_x86_64_avx512_vnni_halide.cpp, ternary_arm_64_dotprod_halide.cpp) pass their pipelines.
// The pipelines take whole chunks of 16 columns and whole groups of 16 rows; the last, partial
// chunk of a row runs through the same pipeline again over a zero-padded copy of its activations,
// and the rows of a last, partial group go to the generic kernel. No allocation: the buffer descriptors and
// the padded copies live on the stack.
#ifndef TERN_RUNTIME_KERNELS_HALIDE_HALIDE_TILED_CALLS_H
#define TERN_RUNTIME_KERNELS_HALIDE_HALIDE_TILED_CALLS_H

#include <stdint.h>

#include "HalideRuntime.h"
#include "ternary_kernels.h"

namespace tern::halide {

// The generated functions' signatures (TernaryGemv, TernaryGemm in ternary_generators.cpp):
// (w, x, chunk_stride, chunks, sum_x, acc_in, out).
using GemvPipeline = int (*)(halide_buffer_t *, halide_buffer_t *, int32_t, int32_t, int32_t,
                             halide_buffer_t *, halide_buffer_t *);
using GemmPipeline = int (*)(halide_buffer_t *, halide_buffer_t *, int32_t, int32_t,
                             halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);

// A buffer descriptor over memory the caller owns (`dims` too): no allocation, nothing to free.
inline halide_buffer_t buffer(const void *host, halide_type_t type, int dimensions,
                              halide_dimension_t *dims) {
  halide_buffer_t b{};
  b.host = static_cast<uint8_t *>(const_cast<void *>(host));
  b.type = type;
  b.dimensions = dimensions;
  b.dim = dims;
  return b;
}

void tiledGemv(GemvPipeline pipeline, const tern_ternary_args &args, int64_t rowBegin,
               int64_t rowEnd);
void tiledGemm(GemmPipeline pipeline, const tern_ternary_args &args, int64_t rowBegin,
               int64_t rowEnd);

}  // namespace tern::halide

#endif  // TERN_RUNTIME_KERNELS_HALIDE_HALIDE_TILED_CALLS_H
