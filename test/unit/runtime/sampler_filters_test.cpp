// The sampler's repetition penalty and top-k / top-p filters.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "sampler.h"

namespace tern {
namespace {

SamplingOptions options(double temperature, int64_t topK = 0, double topP = 1, double penalty = 1) {
  SamplingOptions o;
  o.temperature = temperature;
  o.topK = topK;
  o.topP = topP;
  o.repeatPenalty = penalty;
  return o;
}

std::vector<int64_t> draw(const SamplingOptions &o, uint64_t seed, const std::vector<float> &logits,
                          int count) {
  TokenSampler sampler(o, seed);
  std::vector<int64_t> out;
  for (int i = 0; i < count; ++i) out.push_back(sampler.sample(logits.data(), logits.size()));
  return out;
}

const std::vector<float> kLogits = {0.0f, 2.0f, 1.0f, 3.0f, -1.0f, 2.5f};  // ranks: 3, 5, 1, 2, 0, 4

TEST(SamplerFiltersTest, TopKOneIsGreedyAtAnyTemperature) {
  for (int64_t t : draw(options(5.0, 1), 11, kLogits, 200)) EXPECT_EQ(t, 3);
}

TEST(SamplerFiltersTest, TopKDrawsOnlyFromTheKBest) {
  std::set<int64_t> seen;
  for (int64_t t : draw(options(100.0, 3), 12, kLogits, 2000)) seen.insert(t);
  EXPECT_EQ(seen, (std::set<int64_t>{1, 3, 5}));
}

TEST(SamplerFiltersTest, TopKTiesGoToTheLowerId) {
  const std::vector<float> tied = {1.0f, 2.0f, 2.0f, 2.0f};
  std::set<int64_t> seen;
  for (int64_t t : draw(options(1.0, 2), 13, tied, 500)) seen.insert(t);
  EXPECT_EQ(seen, (std::set<int64_t>{1, 2}));
}

TEST(SamplerFiltersTest, TopPKeepsTheSmallestSetReachingP) {
  // Probabilities 0.5, 0.3, 0.2 (temperature 1): top-p 0.7 keeps {0, 1}; 0.5 keeps {0} alone.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::vector<int> counts(3);
  const int n = 20000;
  for (int64_t t : draw(options(1.0, 0, 0.7), 14, logits, n)) counts.at(t)++;
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[0] / double(n), 0.5 / 0.8, 0.015);
  for (int64_t t : draw(options(1.0, 0, 0.5), 15, logits, 100)) EXPECT_EQ(t, 0);
}

TEST(SamplerFiltersTest, FilteredDrawsAreReproducibleFromTheSeed) {
  const std::vector<float> flat(500, 0.0f);
  EXPECT_EQ(draw(options(0.8, 40, 0.9), 42, flat, 64), draw(options(0.8, 40, 0.9), 42, flat, 64));
  EXPECT_NE(draw(options(0.8, 40, 0.9), 42, flat, 64), draw(options(0.8, 40, 0.9), 43, flat, 64));
}

TEST(SamplerFiltersTest, RepeatPenaltyTurnsGreedyAwayFromSeenTokens) {
  // Greedy picks 3 (logit 3), then with penalty 2 its logit is 1.5 < 2.5: picks 5, then 1 (2 > 1.25).
  EXPECT_EQ(draw(options(0.0, 0, 1, 2.0), 1, kLogits, 3), (std::vector<int64_t>{3, 5, 1}));
  // Without a penalty, greedy repeats.
  EXPECT_EQ(draw(options(0.0), 1, kLogits, 3), (std::vector<int64_t>{3, 3, 3}));
}

TEST(SamplerFiltersTest, RepeatPenaltyMultipliesNegativeLogits) {
  const std::vector<float> negative = {-1.0f, -1.5f};
  TokenSampler sampler(options(0.0, 0, 1, 2.0), 0);
  sampler.observe(0);  // -1 becomes -2, below -1.5
  EXPECT_EQ(sampler.sample(negative.data(), negative.size()), 1);
}

TEST(SamplerFiltersTest, RepeatPenaltyForgetsTokensOutsideTheWindow) {
  SamplingOptions o = options(0.0, 0, 1, 10.0);
  o.repeatWindow = 2;
  TokenSampler sampler(o, 0);
  sampler.observe(3);
  sampler.observe(0);
  sampler.observe(0);  // 3 has left the window of the last two
  EXPECT_EQ(sampler.sample(kLogits.data(), kLogits.size()), 3);
}

}  // namespace
}  // namespace tern
