// tern-run's text mode: a prompt in, text out, streamed as the model produces it (-p), or a
// conversation that keeps the model's recurrent state from one line of stdin to the next (-i).
#ifndef TERN_RUN_TEXT_MODE_H
#define TERN_RUN_TEXT_MODE_H

#include <cstdint>
#include <cstdio>
#include <string>

#include "sampler.h"
#include "tern/runtime.h"

namespace tern {

struct TextModeOptions {
  std::string modelPath;
  bool havePrompt = false;
  std::string prompt;
  bool interactive = false;
  int64_t maxNewTokens = 256;  // per prompt or turn; generation also stops at EOS
  SamplingOptions sampling;
  uint64_t seed = 0;
};

// Opens a model; while it loads (checksums, code), says so on stderr when stderr is a terminal.
// On failure returns the status and sets *error.
tern_status openModelShowingProgress(const std::string &path, tern_model **model,
                                     double *loadSeconds, std::string *error);

// Runs text mode to the end: the generated text goes to `out`, lines are read from `in` (with -i),
// errors and the closing stats line go to stderr. Returns the exit status (0 or 1).
int runTextMode(const TextModeOptions &options, std::FILE *in, std::FILE *out);

}  // namespace tern

#endif  // TERN_RUN_TEXT_MODE_H
