// Picks the next token from a row of logits: greedy, or softmax sampling at a temperature with a
// seeded generator, so a given --seed reproduces the same continuation.
#ifndef TERN_RUNTIME_SAMPLER_H
#define TERN_RUNTIME_SAMPLER_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace tern {

// Index of the largest logit; ties go to the lowest index and NaNs are skipped. -1 when n == 0 or
// every logit is NaN.
int64_t argmaxLogit(const float *logits, size_t n);

class TokenSampler {
 public:
  // temperature <= 0 means greedy (argmaxLogit); the seed is then unused.
  TokenSampler(double temperature, uint64_t seed) : temperature_(temperature), rng_(seed) {}

  // Draws from softmax(logits / temperature), computed in double. Uses exactly one 64-bit draw per
  // call, converted to [0, 1) by this code rather than by a std:: distribution (whose algorithm
  // differs between standard libraries), so results depend only on the seed and the logits. -1
  // when argmaxLogit is.
  int64_t sample(const float *logits, size_t n);

 private:
  double temperature_;
  std::mt19937_64 rng_;
  std::vector<double> weights_;  // reused between calls
};

}  // namespace tern

#endif  // TERN_RUNTIME_SAMPLER_H
