#include "kernel_test_support.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tern::test {

Problem randomProblem(int64_t T, int64_t K, int64_t N, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> trit(-1, 1), byte(-128, 127);
  Problem p{T, K, N, std::vector<int8_t>(N * K), std::vector<int8_t>(T * K)};
  for (int8_t &t : p.trits) t = int8_t(trit(rng));
  for (int8_t &v : p.x) v = int8_t(byte(rng));
  return p;
}

std::vector<uint8_t> pack(const std::vector<int8_t> &trits, int64_t N, int64_t K,
                          tern_trit_layout layout) {
  std::vector<uint8_t> out(tern_packed_bytes(layout, N, K));
  auto code = [&](int64_t n, int64_t k) -> unsigned {
    return n < N && k < K ? unsigned(trits[n * K + k] + 1) : 1u;  // padding: zero trits
  };
  switch (layout) {
    case TERN_LAYOUT_NONE:
      std::memcpy(out.data(), trits.data(), trits.size());
      break;
    case TERN_LAYOUT_TWO_BIT: {
      const int64_t rowBytes = (K + 3) / 4;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t b = 0; b < rowBytes; ++b)
          for (int j = 0; j < 4; ++j) out[n * rowBytes + b] |= code(n, 4 * b + j) << (2 * j);
      break;
    }
    case TERN_LAYOUT_BASE3: {
      const int64_t rowBytes = (K + 4) / 5;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t b = 0; b < rowBytes; ++b)
          for (int j = 4; j >= 0; --j) out[n * rowBytes + b] = out[n * rowBytes + b] * 3 + code(n, 5 * b + j);
      break;
    }
    case TERN_LAYOUT_TWO_BIT_TILED: {
      // Tile (g, c) is 64 bytes at (g * chunks + c) * 64; byte 4r + i holds, in bit pair j,
      // row 16g + r, column 16c + 4j + i.
      const int64_t chunks = (K + 15) / 16, groups = (N + 15) / 16;
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t c = 0; c < chunks; ++c)
          for (int r = 0; r < 16; ++r)
            for (int i = 0; i < 4; ++i)
              for (int j = 0; j < 4; ++j)
                out[(g * chunks + c) * 64 + 4 * r + i] |= code(16 * g + r, 16 * c + 4 * j + i) << (2 * j);
      break;
    }
    case TERN_LAYOUT_BASE3_TILED: {
      // Chunk (g, c) is 64 bytes at (g * chunks + c) * 64; byte 4r + i is sum_j code * 3^j over
      // row 16g + r, columns 20c + 4j + i (j = 0..4).
      const int64_t chunks = (K + 19) / 20, groups = (N + 15) / 16;
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t c = 0; c < chunks; ++c)
          for (int r = 0; r < 16; ++r)
            for (int i = 0; i < 4; ++i) {
              unsigned value = 0, power = 1;
              for (int j = 0; j < 5; ++j, power *= 3)
                value += code(16 * g + r, 20 * c + 4 * j + i) * power;
              out[(g * chunks + c) * 64 + 4 * r + i] = uint8_t(value);
            }
      break;
    }
  }
  return out;
}

std::vector<int32_t> reference(const Problem &p, int32_t init) {
  std::vector<int32_t> out(p.T * p.N);
  for (int64_t t = 0; t < p.T; ++t)
    for (int64_t n = 0; n < p.N; ++n) {
      int64_t sum = init;
      for (int64_t k = 0; k < p.K; ++k) sum += int64_t(p.x[t * p.K + k]) * p.trits[n * p.K + k];
      EXPECT_EQ(sum, int64_t(int32_t(sum)));
      out[t * p.N + n] = int32_t(sum);
    }
  return out;
}

std::vector<int32_t> runKernel(tern_ternary_kernel kernel, const Problem &p,
                               const std::vector<uint8_t> &packed, tern_trit_layout layout,
                               int32_t init, const std::vector<int64_t> &splits) {
  std::vector<int32_t> out(p.T * p.N, init);
  tern_ternary_args args{p.x.data(), p.K, packed.data(), out.data(), p.N, p.T, p.K, p.N, layout};
  int64_t begin = 0;
  for (int64_t end : splits) {
    kernel(&args, begin, end);
    begin = end;
  }
  kernel(&args, begin, p.N);
  return out;
}

}  // namespace tern::test
