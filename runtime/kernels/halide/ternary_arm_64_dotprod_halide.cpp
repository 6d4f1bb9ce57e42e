// The Halide-generated AArch64 dotprod kernels (ternary_generators.cpp, ARM schedule; generated on
// the build machine, linked into the cross-built runtime: aarch64_prebuilt.cmake) behind the kernel
// signature of ternary_kernels.h: halide_tiled_calls.h does the calls.
#include "halide_tiled_calls.h"
#include "ternary_gemm_arm_dotprod_halide.h"
#include "ternary_gemv_arm_dotprod_halide.h"

extern "C" void ternary_gemv_arm_64_dotprod_halide(const tern_ternary_args *args,
                                                   int64_t row_begin, int64_t row_end) {
  tern::halide::tiledGemv(ternary_gemv_arm_dotprod_halide, *args, row_begin, row_end);
}

extern "C" void ternary_gemm_arm_64_dotprod_halide(const tern_ternary_args *args,
                                                   int64_t row_begin, int64_t row_end) {
  tern::halide::tiledGemm(ternary_gemm_arm_dotprod_halide, *args, row_begin, row_end);
}
