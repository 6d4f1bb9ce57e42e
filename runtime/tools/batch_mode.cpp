#include "batch_mode.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "npy.h"
#include "tern/runtime.h"
#include "text_mode.h"
#include "token_list.h"

namespace tern {
namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-run: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int runBatchMode(const BatchModeOptions &options) {
  std::vector<std::vector<int64_t>> sequences(options.sequences.size());
  std::string error;
  for (size_t b = 0; b < sequences.size(); ++b) {
    if (!parseTokenIds(options.sequences[b], &sequences[b], &error))
      return fail("--tokens (sequence " + std::to_string(b) + "): " + error);
    if (sequences[b].empty())
      return fail("--tokens (sequence " + std::to_string(b) + "): no token ids given");
    if (sequences[b].size() != sequences[0].size())
      return fail("--tokens: the sequences of a batch run in lock-step and must have the same "
                  "length: sequence 0 has " + std::to_string(sequences[0].size()) +
                  " ids, sequence " + std::to_string(b) + " has " +
                  std::to_string(sequences[b].size()));
  }
  const size_t B = sequences.size(), T = sequences[0].size();

  tern_model *model = nullptr;
  double loadSeconds = 0;
  if (openModelShowingProgress(options.modelPath, &model, &loadSeconds, &error) != TERN_OK)
    return fail(error);
  struct Close {
    tern_model *model;
    tern_batch *batch = nullptr;
    ~Close() {
      tern_batch_destroy(batch);
      tern_model_close(model);
    }
  } close{model};
  tern_model_info_t info{};
  tern_model_info(model, &info);
  for (size_t b = 0; b < B; ++b)
    if (!checkTokenIds(sequences[b], info.vocab_size, &error))
      return fail("--tokens (sequence " + std::to_string(b) + "): " + error);

  char errbuf[1024];
  if (tern_batch_create(model, B, &close.batch, errbuf, sizeof errbuf) != TERN_OK) return fail(errbuf);
  const size_t V = size_t(info.vocab_size);
  std::vector<float> logits(B * T * V), step(B * V);
  std::vector<int32_t> ids(B);
  double seconds = 0;
  for (size_t t = 0; t < T; ++t) {
    for (size_t b = 0; b < B; ++b) ids[b] = int32_t(sequences[b][t]);  // in range: checked above
    auto start = std::chrono::steady_clock::now();
    if (tern_batch_step(close.batch, ids.data(), B, step.data(), errbuf, sizeof errbuf) != TERN_OK)
      return fail(errbuf);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t b = 0; b < B; ++b)
      std::copy(step.begin() + std::ptrdiff_t(b * V), step.begin() + std::ptrdiff_t((b + 1) * V),
                logits.begin() + std::ptrdiff_t((b * T + t) * V));
  }
  if (!writeNpyFloat32(options.logitsOut, logits.data(),
                       {int64_t(B), int64_t(T), int64_t(V)}, &error))
    return fail(error);
  std::fprintf(stderr,
               "tern-run: load %.1f ms; batch decode %zu sequences x %zu steps in %.3f ms "
               "(%.1f tok/s)\n",
               loadSeconds * 1e3, B, T, seconds * 1e3, seconds > 0 ? double(B * T) / seconds : 0.0);
  return 0;
}

}  // namespace tern
