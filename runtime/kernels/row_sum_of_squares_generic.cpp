// NumPy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum) of squares.
// The 8 partial sums of a block are independent chains, so the compiler vectorizes them (8 lanes)
// without reassociating anything: the result is exactly NumPy's.
#include "row_kernels.h"

namespace {

constexpr int64_t kBlock = 128;  // NumPy's PW_BLOCKSIZE

float squareOf(float v) { return v * v; }

float pairwiseSumOfSquares(const float *a, int64_t n) {
  if (n < 8) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += squareOf(a[i]);
    return sum;
  }
  if (n <= kBlock) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = squareOf(a[j]);
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += squareOf(a[i + j]);
    float sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += squareOf(a[i]);
    return sum;
  }
  int64_t half = n / 2;
  half -= half % 8;
  return pairwiseSumOfSquares(a, half) + pairwiseSumOfSquares(a + half, n - half);
}

}  // namespace

extern "C" void row_sum_of_squares_generic(const float *x, int64_t rows, int64_t cols,
                                           int64_t x_stride, float *out, int64_t out_stride) {
  for (int64_t r = 0; r < rows; ++r)
    out[r * out_stride] += pairwiseSumOfSquares(x + r * x_stride, cols);
}
