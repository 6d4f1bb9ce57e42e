// tb_model.cpp - C-simulation testbench of a whole model (ternc --target=hls).
//
//   csim --tokens 5,17,42 --logits-out logits.npy [--decode-steps]
//        [--state-out state.npy] [--trace-dir DIR]
//
// Takes the token ids the way tern-run does and writes the logits [T, V] as
// float32 .npy, so they compare directly with `tern-run --logits-out`. The
// recurrent state starts at zero. --decode-steps calls the top once per token
// (num_tokens = 1, the state carried through the `state` port) instead of once
// for the whole prompt. --trace-dir writes the int8 activations and int32
// accumulators of every ternary accumulate as DIR/<weight>.q.npy / .acc.npy.
#include "tern_top.h"

#include "tb_support.h"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  std::string tokens, logitsOut, stateOut, traceDir;
  bool decodeSteps = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (tb::optionValue(argc, argv, &i, "tokens", &tokens) ||
        tb::optionValue(argc, argv, &i, "logits-out", &logitsOut) ||
        tb::optionValue(argc, argv, &i, "state-out", &stateOut) ||
        tb::optionValue(argc, argv, &i, "trace-dir", &traceDir))
      continue;
    if (arg == "--decode-steps") {
      decodeSteps = true;
      continue;
    }
    std::fprintf(stderr, "usage: csim --tokens IDS --logits-out FILE.npy [--decode-steps] "
                         "[--state-out FILE.npy] [--trace-dir DIR]\n(unknown argument '%s')\n",
                 arg.c_str());
    return 2;
  }
  if (tokens.empty() || logitsOut.empty()) {
    std::fprintf(stderr, "csim: --tokens and --logits-out are required\n");
    return 2;
  }
  std::vector<long long> parsed;
  std::string error;
  if (!tb::parseTokenIds(tokens, &parsed, &error)) {
    std::fprintf(stderr, "csim: error: %s\n", error.c_str());
    return 1;
  }
  if (parsed.empty() || (long long)parsed.size() > TERN_MAX_TOKENS) {
    std::fprintf(stderr, "csim: error: %zu token ids; the design takes 1 to %d per call\n",
                 parsed.size(), TERN_MAX_TOKENS);
    return 1;
  }
  std::vector<int> ids;
  for (size_t t = 0; t < parsed.size(); ++t) {
    if (parsed[t] < 0 || parsed[t] >= TERN_VOCAB) {
      std::fprintf(stderr, "csim: error: token id %lld at position %zu is outside [0, %d)\n",
                   parsed[t], t, TERN_VOCAB);
      return 1;
    }
    ids.push_back(int(parsed[t]));
  }
  if (!traceDir.empty())
    tern_trace_hook() = tb::recordTrace;

  const int tokenCount = int(ids.size());
  std::vector<float> state(size_t(TERN_LAYERS) * TERN_HIDDEN, 0.0f);
  std::vector<float> logits(size_t(tokenCount) * TERN_VOCAB, 0.0f);
  if (decodeSteps) {
    for (int t = 0; t < tokenCount; ++t)
      tern_top(&ids[t], 1, state.data(), &logits[size_t(t) * TERN_VOCAB]);
  } else {
    tern_top(ids.data(), tokenCount, state.data(), logits.data());
  }

  if (!tb::writeNpy(logitsOut, "<f4", logits.data(), sizeof(float), {tokenCount, TERN_VOCAB}, &error) ||
      (!stateOut.empty() &&
       !tb::writeNpy(stateOut, "<f4", state.data(), sizeof(float), {TERN_LAYERS, TERN_HIDDEN}, &error)) ||
      (!traceDir.empty() && !tb::writeTraces(traceDir, &error))) {
    std::fprintf(stderr, "csim: error: %s\n", error.c_str());
    return 1;
  }
  std::printf("csim: %d tokens, logits [%d, %d] written to %s\n", tokenCount, tokenCount, TERN_VOCAB,
              logitsOut.c_str());
  return 0;
}
