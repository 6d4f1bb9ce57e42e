// Random problems for the kernel tests, and an independent packer of each layout written from the
// layout's definition (TernAttrs.td), so the tests need no compiler libraries (they also run on
// AArch64 under qemu).
#ifndef TERN_TEST_UNIT_KERNELS_KERNEL_TEST_SUPPORT_H
#define TERN_TEST_UNIT_KERNELS_KERNEL_TEST_SUPPORT_H

#include <cstdint>
#include <random>
#include <vector>

#include "ternary_kernels.h"

namespace tern::test {

struct Problem {
  int64_t T, K, N;
  std::vector<int8_t> trits;  // [N, K], -1/0/1
  std::vector<int8_t> x;      // [T, K]
};

Problem randomProblem(int64_t T, int64_t K, int64_t N, uint32_t seed);

// The bytes of `trits` ([N, K]) in `layout`.
std::vector<uint8_t> pack(const std::vector<int8_t> &trits, int64_t N, int64_t K,
                          tern_trit_layout layout);

// out[t, n] = init + sum_k x[t, k] * trits[n, k], computed naively in int64 and checked to fit.
std::vector<int32_t> reference(const Problem &p, int32_t init);

// Runs `kernel` over rows [0, N) in the given row splits (each a multiple of 16 but the last).
std::vector<int32_t> runKernel(tern_ternary_kernel kernel, const Problem &p,
                               const std::vector<uint8_t> &packed, tern_trit_layout layout,
                               int32_t init, const std::vector<int64_t> &splits = {});

}  // namespace tern::test

#endif  // TERN_TEST_UNIT_KERNELS_KERNEL_TEST_SUPPORT_H
