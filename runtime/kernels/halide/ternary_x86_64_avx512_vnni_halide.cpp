// The Halide-generated AVX-512 VNNI kernels (ternary_generators.cpp, x86-64 schedule) behind the
// kernel signature of ternary_kernels.h: halide_tiled_calls.h does the calls.
#include "halide_tiled_calls.h"
#include "ternary_gemm_avx512_vnni_halide.h"
#include "ternary_gemv_avx512_vnni_halide.h"

extern "C" void ternary_gemv_x86_64_avx512_vnni_halide(const tern_ternary_args *args,
                                                       int64_t row_begin, int64_t row_end) {
  tern::halide::tiledGemv(ternary_gemv_avx512_vnni_halide, *args, row_begin, row_end);
}

extern "C" void ternary_gemm_x86_64_avx512_vnni_halide(const tern_ternary_args *args,
                                                       int64_t row_begin, int64_t row_end) {
  tern::halide::tiledGemm(ternary_gemm_avx512_vnni_halide, *args, row_begin, row_end);
}
