#include "sampler.h"

#include <cmath>

namespace tern {

int64_t argmaxLogit(const float *logits, size_t n) {
  int64_t best = -1;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(logits[i])) continue;
    if (best < 0 || logits[i] > logits[best]) best = static_cast<int64_t>(i);
  }
  return best;
}

int64_t TokenSampler::sample(const float *logits, size_t n) {
  const int64_t best = argmaxLogit(logits, n);
  if (temperature_ <= 0 || best < 0 || std::isinf(logits[best])) return best;

  const double maxLogit = logits[best];
  weights_.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    // exp of a non-positive number: no overflow; NaN and -inf logits get weight 0.
    double w = std::isnan(logits[i]) ? 0.0 : std::exp((logits[i] - maxLogit) / temperature_);
    weights_[i] = w;
    total += w;
  }
  const double unit = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  const double target = unit * total;
  double cumulative = 0;
  int64_t lastPositive = best;
  for (size_t i = 0; i < n; ++i) {
    if (weights_[i] <= 0) continue;
    cumulative += weights_[i];
    lastPositive = static_cast<int64_t>(i);
    if (target < cumulative) return lastPositive;
  }
  return lastPositive;  // rounding left target at the very top of the range
}

}  // namespace tern
