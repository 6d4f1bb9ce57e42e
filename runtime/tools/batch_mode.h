// tern-run --tokens A --tokens B ... --logits-out FILE: several sequences of equal length run in
// lock-step through the model's batch decode (one step per position, every sequence's token of that
// position in one call), logits written as [B, T, V]. A correctness path: each sequence's rows must
// equal what decoding it alone gives.
#ifndef TERN_RUN_BATCH_MODE_H
#define TERN_RUN_BATCH_MODE_H

#include <string>
#include <vector>

namespace tern {

struct BatchModeOptions {
  std::string modelPath;
  std::vector<std::string> sequences;  // each as --tokens gave it ("5,17,42")
  std::string logitsOut;
};

// Returns the exit status (0, or 1 with "tern-run: error: ..." on stderr).
int runBatchMode(const BatchModeOptions &options);

}  // namespace tern

#endif  // TERN_RUN_BATCH_MODE_H
