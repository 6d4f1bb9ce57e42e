// The weights the runtime synthesizes for `ternc --random-weights` artifacts: the same bytes for a
// seed on every machine and at every thread count, the bytes no weight fills zeroed, errors that
// name the entry.
#include "synthetic_weights.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tern {
namespace {

// FNV-1a of the bytes: pins the synthesized values, so that a change of the streams shows.
uint64_t fnv1a(const std::vector<uint8_t> &bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

// A manifest of entries of every dtype, sizes that are not multiples of anything in particular,
// one of them large enough to be split into several pieces, and a gap between two entries.
std::string manifest(const std::string &packing) {
  return R"({"random_weights": {"seed": 11}, "weights_bytes": 3000000, "packing": ")" + packing +
         R"(", "weights": [
    {"offset": 0, "bytes": 2500001, "dtype": "i8"},
    {"offset": 2500016, "bytes": 4004, "dtype": "f32"},
    {"offset": 2504032, "bytes": 1002, "dtype": "bf16"},
    {"offset": 2505040, "bytes": 77, "dtype": "i8"},
    {"offset": 2600000, "bytes": 399999, "dtype": "i8"}]})";
}

std::vector<uint8_t> synthesize(const std::string &text, int threads) {
  SyntheticWeights weights;
  std::string error;
  EXPECT_TRUE(readSyntheticWeights(text, &weights, &error)) << error;
  EXPECT_TRUE(weights.present);
  std::vector<uint8_t> out(weights.bytes, 0xAB);
  EXPECT_TRUE(synthesizeWeights(text, weights, out.data(), &error, threads)) << error;
  return out;
}

TEST(SyntheticWeights, SameBytesAtEveryThreadCount) {
  for (const char *packing : {"two_bit", "base3", "none"}) {
    std::vector<uint8_t> one = synthesize(manifest(packing), 1);
    for (int threads : {2, 3, 8}) EXPECT_EQ(synthesize(manifest(packing), threads), one) << packing;
  }
}

TEST(SyntheticWeights, PinnedValues) {
  // Computed with the single-threaded implementation these artifacts were first benchmarked with.
  EXPECT_EQ(fnv1a(synthesize(manifest("two_bit"), 1)), 0xfb390169639b9898ull);
  EXPECT_EQ(fnv1a(synthesize(manifest("base3"), 1)), 0x7d9d9d2310a413f3ull);
  EXPECT_EQ(fnv1a(synthesize(manifest("none"), 1)), 0x9784532d788e799dull);
}

TEST(SyntheticWeights, ValuesInRange) {
  std::vector<uint8_t> out = synthesize(manifest("two_bit"), 4);
  for (uint64_t i = 0; i < 2500001; ++i)
    for (int pair = 0; pair < 4; ++pair) ASSERT_LE((out[i] >> (2 * pair)) & 3, 2) << i;
  for (uint64_t i = 2500001; i < 2500016; ++i) ASSERT_EQ(out[i], 0) << "the gap is zeroed";
  for (uint64_t i = 2500016; i < 2500016 + 4004; i += 4) {
    float v;
    std::memcpy(&v, &out[i], 4);
    ASSERT_GE(v, 0.5f);
    ASSERT_LT(v, 1.0f);
  }
  // An f32 entry of 6 bytes: one value, then 2 bytes that no value fills, zeroed.
  std::vector<uint8_t> tail = synthesize(
      R"({"random_weights": {"seed": 3}, "weights_bytes": 8, "weights": [
        {"offset": 0, "bytes": 6, "dtype": "f32"}]})", 2);
  float v;
  std::memcpy(&v, tail.data(), 4);
  EXPECT_GE(v, 0.5f);
  EXPECT_EQ(std::vector<uint8_t>(tail.begin() + 4, tail.end()), std::vector<uint8_t>(4, 0));
}

TEST(SyntheticWeights, ErrorsNameTheEntry) {
  SyntheticWeights weights{true, 1, 64};
  std::vector<uint8_t> out(64);
  std::string error;
  EXPECT_FALSE(synthesizeWeights(
      R"({"weights": [{"offset": 0, "bytes": 8, "dtype": "i8"}, {"offset": 60, "bytes": 8, "dtype": "i8"}]})",
      weights, out.data(), &error));
  EXPECT_EQ(error, "weights entry 1 lies outside weights_bytes");
  // Filled at once by several threads, entries may not share bytes.
  EXPECT_FALSE(synthesizeWeights(
      R"({"weights": [{"offset": 16, "bytes": 8, "dtype": "i8"}, {"offset": 0, "bytes": 17, "dtype": "i8"}]})",
      weights, out.data(), &error));
  EXPECT_EQ(error, "weights entries 0 and 1 overlap");
  EXPECT_FALSE(synthesizeWeights(
      R"({"weights": [{"offset": 0, "bytes": 8, "dtype": "f16"}]})", weights, out.data(), &error));
  EXPECT_EQ(error, "weights entry 0: cannot synthesize weights of dtype \"f16\"");
  EXPECT_FALSE(synthesizeWeights(
      R"({"packing": "four_bit", "weights": [{"offset": 0, "bytes": 8, "dtype": "i8"}]})", weights,
      out.data(), &error));
  EXPECT_EQ(error, "weights entry 0: cannot synthesize trits in packing \"four_bit\"");
  EXPECT_FALSE(synthesizeWeights(R"({"weights": [{"offset": 0, "dtype": "i8"}]})", weights,
                                 out.data(), &error));
  EXPECT_EQ(error, "weights entry 0 lacks offset, bytes or dtype");
}

}  // namespace
}  // namespace tern
