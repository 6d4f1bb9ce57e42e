#include "sampler.h"

#include <algorithm>
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

void TokenSampler::observe(int64_t token) {
  if (options_.repeatPenalty == 1 || options_.repeatWindow == 0) return;
  recent_.push_back(token);
  if (recent_.size() > options_.repeatWindow) recent_.pop_front();
}

const float *TokenSampler::penalized(const float *logits, size_t n) {
  if (options_.repeatPenalty == 1 || recent_.empty()) return logits;
  adjusted_.assign(logits, logits + n);
  const float penalty = static_cast<float>(options_.repeatPenalty);
  std::vector<int64_t> seen(recent_.begin(), recent_.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());  // once per token, however often
  for (int64_t token : seen) {
    if (token < 0 || static_cast<size_t>(token) >= n) continue;
    float &logit = adjusted_[token];
    logit = logit > 0 ? logit / penalty : logit * penalty;
  }
  return adjusted_.data();
}

int64_t TokenSampler::sample(const float *rawLogits, size_t n) {
  const float *logits = penalized(rawLogits, n);
  const int64_t best = argmaxLogit(logits, n);
  int64_t token = best;
  if (options_.temperature > 0 && best >= 0 && !std::isinf(logits[best])) {
    const bool filtered = (options_.topK > 0 && static_cast<size_t>(options_.topK) < n) ||
                          options_.topP < 1;
    token = filtered ? drawFiltered(logits, n) : drawAll(logits, n, best);
  }
  if (token >= 0) observe(token);
  return token;
}

// Softmax over every token, walked in id order.
int64_t TokenSampler::drawAll(const float *logits, size_t n, int64_t best) {
  const double maxLogit = logits[best];
  weights_.resize(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    // exp of a non-positive number: no overflow; NaN and -inf logits get weight 0.
    double w = std::isnan(logits[i]) ? 0.0 : std::exp((logits[i] - maxLogit) / options_.temperature);
    weights_[i] = w;
    total += w;
  }
  const double target = uniform() * total;
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

// Top-k, then top-p, over the tokens ranked by logit (ties to the lower id), walked in that order.
int64_t TokenSampler::drawFiltered(const float *logits, size_t n) {
  ranked_.clear();
  for (size_t i = 0; i < n; ++i)
    if (!std::isnan(logits[i])) ranked_.emplace_back(logits[i], static_cast<int64_t>(i));
  auto higher = [](const std::pair<float, int64_t> &a, const std::pair<float, int64_t> &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  size_t keep = ranked_.size();
  if (options_.topK > 0) keep = std::min(keep, static_cast<size_t>(options_.topK));
  std::partial_sort(ranked_.begin(), ranked_.begin() + keep, ranked_.end(), higher);
  ranked_.resize(keep);

  const double maxLogit = ranked_.front().first;
  weights_.resize(keep);
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    weights_[i] = std::exp((ranked_[i].first - maxLogit) / options_.temperature);
    total += weights_[i];
  }
  if (options_.topP < 1) {
    // The smallest prefix whose probability reaches top-p (at least one token).
    double cumulative = 0;
    size_t prefix = 0;
    while (prefix < keep) {
      cumulative += weights_[prefix++];
      if (cumulative >= options_.topP * total) break;
    }
    keep = prefix;
    total = cumulative;
  }
  const double target = uniform() * total;
  double cumulative = 0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += weights_[i];
    if (target < cumulative && weights_[i] > 0) return ranked_[i].second;
  }
  for (size_t i = keep; i-- > 0;)  // rounding left target at the very top of the range
    if (weights_[i] > 0) return ranked_[i].second;
  return ranked_.front().second;
}

}  // namespace tern
