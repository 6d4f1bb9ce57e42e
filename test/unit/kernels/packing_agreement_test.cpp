// The compiler's packer (dialects/Tern/IR/Packing.cpp, which writes the artifact's weights) and the
// layouts the kernels read (runtime/kernels/ternary_kernels.h, this test's own packer) agree byte for
// byte, and the generic kernel decodes what the compiler packed.
#include <gtest/gtest.h>

#include "dialects/Tern/IR/Packing.h"
#include "kernel_test_support.h"

namespace tern::test {
namespace {

using mlir::tern::Packing;

struct LayoutPair {
  Packing packing;
  tern_trit_layout layout;
};

const LayoutPair kPairs[] = {{Packing::none, TERN_LAYOUT_NONE},
                             {Packing::two_bit, TERN_LAYOUT_TWO_BIT},
                             {Packing::base3, TERN_LAYOUT_BASE3},
                             {Packing::two_bit_tiled, TERN_LAYOUT_TWO_BIT_TILED},
                             {Packing::base3_tiled, TERN_LAYOUT_BASE3_TILED}};

TEST(PackingAgreement, CompilerBytesAreTheKernelLayout) {
  uint32_t seed = 300;
  for (const LayoutPair &pair : kPairs)
    for (int64_t N : {1, 15, 16, 17, 40})
      for (int64_t K : {1, 5, 15, 16, 17, 19, 20, 21, 63, 100}) {
        Problem p = randomProblem(2, K, N, seed++);
        std::array<int64_t, 2> shape = mlir::tern::storageShape(N, K, pair.packing);
        ASSERT_EQ(shape[0] * shape[1], tern_packed_bytes(pair.layout, N, K));
        std::vector<uint8_t> compiled(size_t(shape[0] * shape[1]));
        mlir::tern::packTrits(p.trits.data(), N, K, pair.packing, compiled.data());
        EXPECT_EQ(compiled, pack(p.trits, N, K, pair.layout))
            << mlir::tern::stringifyPacking(pair.packing).str() << " N=" << N << " K=" << K;
        EXPECT_EQ(runKernel(ternary_matmul_generic, p, compiled, pair.layout, 0), reference(p, 0));
        std::vector<int8_t> back(size_t(N * K));
        mlir::tern::unpackTrits(compiled.data(), N, K, pair.packing, back.data());
        EXPECT_EQ(back, p.trits);
      }
}

}  // namespace
}  // namespace tern::test
