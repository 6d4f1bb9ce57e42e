// Every microkernel against the generic one and a naive reference, on sizes that are not multiples
// of the tile (K not a multiple of 16 or 20, N not of 16), with row splits, large K and extreme
// values, for both tiled layouts (two_bit_tiled, base3_tiled) wherever an ISA has kernels for them.
#include <gtest/gtest.h>

#include <string>

#include "kernel_dispatch.h"
#include "kernel_test_support.h"

namespace tern::test {
namespace {

const int64_t kTokens[] = {1, 2, 3, 5, 16, 17, 33};
const int64_t kColumns[] = {1, 4, 15, 16, 17, 19, 20, 21, 41, 47, 64, 100, 255, 1000};
const tern_trit_layout kTiledLayouts[] = {TERN_LAYOUT_TWO_BIT_TILED, TERN_LAYOUT_BASE3_TILED};
const int64_t kRows[] = {1, 15, 16, 17, 33, 100};

TEST(GenericKernel, EveryLayoutMatchesTheReference) {
  uint32_t seed = 1;
  for (tern_trit_layout layout : {TERN_LAYOUT_NONE, TERN_LAYOUT_TWO_BIT, TERN_LAYOUT_BASE3,
                                  TERN_LAYOUT_TWO_BIT_TILED, TERN_LAYOUT_BASE3_TILED})
    for (int64_t T : {1, 3, 17})
      for (int64_t K : kColumns)
        for (int64_t N : {1, 17, 33}) {
          Problem p = randomProblem(T, K, N, seed++);
          EXPECT_EQ(runKernel(ternary_matmul_generic, p, pack(p.trits, N, K, layout), layout, 5),
                    reference(p, 5))
              << "layout " << layout << " T=" << T << " K=" << K << " N=" << N;
        }
}

TEST(PackedBytes, TiledPadsRowsAndColumnsToTiles) {
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_TWO_BIT_TILED, 16, 16), 64);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_TWO_BIT_TILED, 17, 17), 4 * 64);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_TWO_BIT_TILED, 2048, 5632), 2048 * 5632 / 4);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_TWO_BIT, 3, 5), 6);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_BASE3, 3, 5), 3);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_BASE3_TILED, 16, 20), 64);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_BASE3_TILED, 17, 21), 4 * 64);
  EXPECT_EQ(tern_packed_bytes(TERN_LAYOUT_BASE3_TILED, 2048, 5640), 2048 * 5640 / 5);
}

// One test instance per ISA built into the runtime; those this CPU lacks are skipped.
class IsaKernel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (const KernelIsa &candidate : kernelIsas())
      if (GetParam() == candidate.name) isa_ = &candidate;
    ASSERT_NE(isa_, nullptr);
    if (!isa_->supportedByCpu()) GTEST_SKIP() << "this CPU lacks " << GetParam();
  }
  // This ISA's kernels for a tiled layout; null members when it runs the layout generically.
  const TiledKernels &kernels(tern_trit_layout layout) const {
    return layout == TERN_LAYOUT_BASE3_TILED ? isa_->base3Tiled : isa_->twoBitTiled;
  }
  const KernelIsa *isa_ = nullptr;
};

std::vector<std::string> isaNames() {
  std::vector<std::string> names;
  for (const KernelIsa &isa : kernelIsas()) names.push_back(isa.name);
  return names;
}

TEST_P(IsaKernel, GemvEqualsGenericOnOddSizes) {
  uint32_t seed = 100;
  for (tern_trit_layout layout : kTiledLayouts) {
    if (!kernels(layout).gemv) continue;
    for (int64_t K : kColumns)
      for (int64_t N : kRows) {
        Problem p = randomProblem(1, K, N, seed++);
        std::vector<uint8_t> w = pack(p.trits, N, K, layout);
        std::vector<int32_t> generic = runKernel(ternary_matmul_generic, p, w, layout, -7);
        EXPECT_EQ(runKernel(kernels(layout).gemv, p, w, layout, -7), generic)
            << "layout " << layout << " K=" << K << " N=" << N;
        EXPECT_EQ(generic, reference(p, -7));
      }
  }
}

TEST_P(IsaKernel, GemmEqualsGenericOnOddSizes) {
  uint32_t seed = 200;
  for (tern_trit_layout layout : kTiledLayouts) {
    if (!kernels(layout).gemm) continue;
    for (int64_t T : kTokens)
      for (int64_t K : {1, 15, 17, 19, 21, 47, 100, 255})
        for (int64_t N : {1, 17, 33}) {
          Problem p = randomProblem(T, K, N, seed++);
          std::vector<uint8_t> w = pack(p.trits, N, K, layout);
          EXPECT_EQ(runKernel(kernels(layout).gemm, p, w, layout, 3),
                    runKernel(ternary_matmul_generic, p, w, layout, 3))
              << "layout " << layout << " T=" << T << " K=" << K << " N=" << N;
        }
  }
}

TEST_P(IsaKernel, RowSplitsOnTileBoundariesGiveTheSameResult) {
  for (tern_trit_layout layout : kTiledLayouts) {
    const TiledKernels &k = kernels(layout);
    if (!k.gemv) continue;
    Problem p = randomProblem(3, 77, 70, 7);
    std::vector<uint8_t> w = pack(p.trits, p.N, p.K, layout);
    std::vector<int32_t> expected = reference(p, 0);
    for (tern_ternary_kernel kernel : {k.gemv, k.gemm}) {
      Problem q = kernel == k.gemv ? randomProblem(1, 77, 70, 7) : p;
      EXPECT_EQ(runKernel(kernel, q, w, layout, 0, {16, 48, 64}), reference(q, 0))
          << "layout " << layout;
    }
    EXPECT_EQ(runKernel(k.gemm, p, w, layout, 0, {32}), expected) << "layout " << layout;
  }
}

TEST_P(IsaKernel, ExtremeValuesOverLongRowsDoNotOverflow) {
  // The largest K of the released models (2.7B: 6912) and beyond; all activations -128 or 127,
  // all trits +1 or -1: the sums the int32 lanes and the scaled digit accumulators must hold.
  for (tern_trit_layout layout : kTiledLayouts) {
    const TiledKernels &k = kernels(layout);
    if (!k.gemv) continue;
    for (int64_t K : {6912, 16 * 1024 + 5}) {
      for (int8_t value : {int8_t(-128), int8_t(127)}) {
        Problem p = randomProblem(2, K, 17, 9);
        for (int8_t &v : p.x) v = value;
        for (size_t i = 0; i < p.trits.size(); ++i) p.trits[i] = (i / p.K) % 2 ? 1 : -1;
        std::vector<uint8_t> w = pack(p.trits, p.N, p.K, layout);
        EXPECT_EQ(runKernel(k.gemm, p, w, layout, 0), reference(p, 0)) << "layout " << layout;
        Problem one = p;
        one.T = 1;
        one.x.resize(K);
        EXPECT_EQ(runKernel(k.gemv, one, w, layout, 0), reference(one, 0)) << "layout " << layout;
      }
    }
  }
}

TEST_P(IsaKernel, ThreadedDispatchEqualsTheReference) {
  KernelContext context;
  std::string error;
  ASSERT_TRUE(context.setIsa(GetParam(), &error)) << error;
  ASSERT_STREQ(context.isa().name, GetParam().c_str());
  // Every ISA runs every tiled layout through the dispatch, with its SIMD kernels or the generic.
  for (tern_trit_layout layout : kTiledLayouts)
    for (int threads : {1, 2, 3}) {
      context.setThreads(threads);
      EXPECT_EQ(context.threads(), threads);
      for (int64_t T : {1, 4}) {
        // Big enough (> 64 KiB of weights) that the rows are split over the threads.
        Problem p = randomProblem(T, 1000, 530, 11 + threads);
        std::vector<uint8_t> w = pack(p.trits, p.N, p.K, layout);
        std::vector<int32_t> out(p.T * p.N, 1);
        tern_ternary_args args{p.x.data(), p.K, w.data(), out.data(), p.N, p.T, p.K, p.N, layout};
        context.ternaryMatmul(args);
        EXPECT_EQ(out, reference(p, 1))
            << "layout " << layout << ", " << threads << " threads, T=" << T;
      }
    }
}

INSTANTIATE_TEST_SUITE_P(Kernels, IsaKernel, ::testing::ValuesIn(isaNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

TEST(KernelIsas, GenericIsLastAndAlwaysSupported) {
  ASSERT_FALSE(kernelIsas().empty());
  EXPECT_STREQ(kernelIsas().back().name, "generic");
  EXPECT_TRUE(kernelIsas().back().supportedByCpu());
  std::string error;
  EXPECT_NE(findKernelIsa("generic", &error), nullptr);
  EXPECT_EQ(findKernelIsa("sse1", &error), nullptr);
  EXPECT_NE(error.find("generic"), std::string::npos) << error;
}

#if defined(TERN_KERNELS_X86_64)
// base3_tiled runs its VBMI kernels under avx512_vbmi only; the other ISAs (and CPUs without VBMI)
// run it with the generic kernel.
TEST(KernelIsas, Base3TiledHasSimdKernelsOnlyWithVbmi) {
  std::string error;
  for (const KernelIsa &isa : kernelIsas()) {
    const bool vbmi = std::string(isa.name) == "avx512_vbmi";
    EXPECT_EQ(isa.kernelFor(TERN_LAYOUT_BASE3_TILED, 1),
              vbmi ? &ternary_gemv_x86_64_avx512_vbmi : nullptr) << isa.name;
    EXPECT_EQ(isa.kernelFor(TERN_LAYOUT_BASE3_TILED, 7),
              vbmi ? &ternary_gemm_x86_64_avx512_vbmi : nullptr) << isa.name;
    EXPECT_EQ(isa.kernelFor(TERN_LAYOUT_BASE3, 1), nullptr) << isa.name;
  }
  const KernelIsa *vbmi = nullptr;
  for (const KernelIsa &isa : kernelIsas())
    if (std::string(isa.name) == "avx512_vbmi") vbmi = &isa;
  ASSERT_NE(vbmi, nullptr);
  EXPECT_EQ(cpuHasSimdKernelsFor(TERN_LAYOUT_BASE3_TILED), vbmi->supportedByCpu());
  if (vbmi->supportedByCpu()) {
    EXPECT_STREQ(bestKernelIsa().name, "avx512_vbmi");
  }
}
#endif

#if defined(TERN_KERNELS_ARM_64)
// The hand-written dotprod kernels stay AArch64's default: Halide's (arm_dotprod_halide, when the
// build has them) are checked for exactness here but not timed on hardware (docs/performance.md).
TEST(KernelIsas, HandWrittenDotprodIsTheAArch64Default) {
  const KernelIsa *dotprod = nullptr;
  for (const KernelIsa &isa : kernelIsas())
    if (std::string(isa.name) == "arm_dotprod") dotprod = &isa;
  ASSERT_NE(dotprod, nullptr);
  EXPECT_EQ(dotprod->kernelFor(TERN_LAYOUT_TWO_BIT_TILED, 1), &ternary_gemv_arm_64_dotprod);
  EXPECT_EQ(dotprod->kernelFor(TERN_LAYOUT_TWO_BIT_TILED, 5), &ternary_gemm_arm_64_dotprod);
  if (dotprod->supportedByCpu()) {
    EXPECT_STREQ(bestKernelIsa().name, "arm_dotprod");
  }
}
#endif

TEST(KernelContext, TheEnvironmentPicksIsaAndThreads) {
  std::string error;
  setenv("TERN_ISA", "generic", 1);
  setenv("TERN_THREADS", "3", 1);
  std::unique_ptr<KernelContext> context = KernelContext::fromEnvironment(&error);
  ASSERT_NE(context, nullptr) << error;
  EXPECT_STREQ(context->isa().name, "generic");
  EXPECT_EQ(context->threads(), 3);
  setenv("TERN_ISA", "mmx", 1);
  EXPECT_EQ(KernelContext::fromEnvironment(&error), nullptr);
  EXPECT_NE(error.find("\"mmx\""), std::string::npos) << error;
  unsetenv("TERN_ISA");
  setenv("TERN_THREADS", "two", 1);
  EXPECT_EQ(KernelContext::fromEnvironment(&error), nullptr);
  EXPECT_NE(error.find("TERN_THREADS"), std::string::npos) << error;
  unsetenv("TERN_THREADS");
}

TEST(GeneratedCodeKernels, EveryLayoutHasAnEntryPoint) {
  for (const char *name : {"ternary_matmul_none", "ternary_matmul_two_bit", "ternary_matmul_base3",
                           "ternary_matmul_two_bit_tiled", "ternary_matmul_base3_tiled"})
    EXPECT_NE(generatedCodeKernel(name), nullptr) << name;
  EXPECT_EQ(generatedCodeKernel("ternary_matmul_nibble"), nullptr);
}

}  // namespace
}  // namespace tern::test
