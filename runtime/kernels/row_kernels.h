/* Row-wise float kernels the generated code calls (C ABI, no allocation, no globals, reentrant). */
#ifndef TERN_RUNTIME_KERNELS_ROW_KERNELS_H
#define TERN_RUNTIME_KERNELS_ROW_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[r * out_stride] += sum over c of x[r * x_stride + c]^2, for r in [0, rows), summed in NumPy's
 * pairwise order (numpy.add.reduce over a contiguous float32 axis: blocks of at most 128 summed in
 * 8 interleaved partial sums, larger ranges split in halves), so that an RMS norm is bit-identical
 * to the reference's np.mean(x * x, axis=-1, dtype=float32). Each square is rounded to float before
 * it is added, as NumPy's x * x is. Compiled with -ffp-contract=off (no fused multiply-add). */
void row_sum_of_squares_generic(const float *x, int64_t rows, int64_t cols, int64_t x_stride,
                                float *out, int64_t out_stride);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_KERNELS_ROW_KERNELS_H */
