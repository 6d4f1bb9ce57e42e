// Picks the next token from a row of logits: greedy, or softmax sampling at a temperature with a
// seeded generator, so a given --seed reproduces the same continuation; optionally with a repetition
// penalty and top-k / top-p (nucleus) filtering.
#ifndef TERN_RUNTIME_SAMPLER_H
#define TERN_RUNTIME_SAMPLER_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <utility>
#include <vector>

namespace tern {

// Index of the largest logit; ties go to the lowest index and NaNs are skipped. -1 when n == 0 or
// every logit is NaN.
int64_t argmaxLogit(const float *logits, size_t n);

struct SamplingOptions {
  double temperature = 0;    // <= 0: greedy (argmax after the repetition penalty)
  int64_t topK = 0;          // keep the K most likely tokens; 0 = all
  double topP = 1;           // keep the most likely tokens whose probabilities add up to P; 1 = all
  double repeatPenalty = 1;  // > 1 discourages the tokens seen in the last repeatWindow; 1 = off
  size_t repeatWindow = 64;
};

class TokenSampler {
 public:
  // temperature <= 0 means greedy (argmaxLogit); the seed is then unused.
  TokenSampler(double temperature, uint64_t seed) : TokenSampler(withTemperature(temperature), seed) {}
  TokenSampler(const SamplingOptions &options, uint64_t seed) : options_(options), rng_(seed) {}

  // Draws from softmax(logits / temperature), computed in double. Uses exactly one 64-bit draw per
  // call at temperature > 0, converted to [0, 1) by this code rather than by a std:: distribution
  // (whose algorithm differs between standard libraries), so results depend only on the seed, the
  // options and the logits. -1 when argmaxLogit is. With a repetition penalty, the token returned is
  // remembered as seen (see observe).
  //
  // Order, as llama.cpp applies them: repetition penalty (a positive logit of a recently seen token
  // is divided by the penalty, a negative one multiplied), then greedy or temperature, then top-k,
  // then top-p over the top-k survivors' softmax, then the draw.
  int64_t sample(const float *logits, size_t n);

  // Remembers a token the model was fed (a prompt's), for the repetition penalty.
  void observe(int64_t token);

 private:
  static SamplingOptions withTemperature(double temperature) {
    SamplingOptions options;
    options.temperature = temperature;
    return options;
  }
  const float *penalized(const float *logits, size_t n);
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }  // [0, 1)
  int64_t drawAll(const float *logits, size_t n, int64_t best);
  int64_t drawFiltered(const float *logits, size_t n);

  SamplingOptions options_;
  std::mt19937_64 rng_;
  std::deque<int64_t> recent_;                       // the last repeatWindow tokens seen
  std::vector<float> adjusted_;                      // logits after the penalty, reused
  std::vector<double> weights_;                      // reused between calls
  std::vector<std::pair<float, int64_t>> ranked_;    // (logit, id), reused
};

}  // namespace tern

#endif  // TERN_RUNTIME_SAMPLER_H
