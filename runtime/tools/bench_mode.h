// tern-run --bench: prefill and decode speed of a model, with the machine's memory ceiling measured in
// the same run, as text or as one JSON object (--json). Numbers are what this machine did now: see
// docs/performance-gpu.md for how they were taken and what they mean.
#ifndef TERN_RUN_BENCH_MODE_H
#define TERN_RUN_BENCH_MODE_H

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

struct BenchModeOptions {
  std::string modelPath;
  bool json = false;
  std::vector<int64_t> prefillLengths{128, 512};
  int64_t decodeTokens = 64;
  uint64_t seed = 0;  // the token ids fed
  // --batch: after the single-sequence numbers, decodeTokens batch-decode steps of each size.
  std::vector<int64_t> batchSizes;
};

// Returns the exit status (0, or 1 with "tern-run: error: ..." on stderr).
int runBenchMode(const BenchModeOptions &options);

}  // namespace tern

#endif  // TERN_RUN_BENCH_MODE_H
