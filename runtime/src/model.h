// The runtime's C++ core behind the C API: a loaded model (artifact + generated code) and a session
// (one sequence's recurrent state).
#ifndef TERN_RUNTIME_MODEL_H
#define TERN_RUNTIME_MODEL_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memref_abi.h"
#include "shared_object.h"
#include "tern/artifact.h"

namespace tern {

enum class LogitsWanted { None, Last, All };

// Why a run failed: the caller's input, or generated code that broke the ABI.
enum class RunOutcome { Ok, BadInput, BrokenAbi };

class Model {
 public:
  static std::shared_ptr<const Model> open(const std::string &path, std::string *error);

  const std::string &path() const { return artifact_->path(); }
  const ArtifactManifest &manifest() const { return artifact_->manifest(); }
  int64_t vocabSize() const { return manifest().vocabSize; }
  size_t stateElements() const {
    return static_cast<size_t>(manifest().numLayers) * static_cast<size_t>(manifest().hiddenSize);
  }

  // Runs prefill (n > 1) or decode (n == 1) from `state` (updated in place on success) and copies
  // the requested logits rows into `logitsOut`. On failure `state` is left unchanged.
  RunOutcome run(const int32_t *ids, size_t n, std::vector<float> &state, LogitsWanted wanted,
                 float *logitsOut, std::string *error) const;

 private:
  Model() = default;
  std::unique_ptr<ArtifactFile> artifact_;
  std::unique_ptr<InMemorySharedObject> code_;
  EntryPoint prefill_ = nullptr;
  EntryPoint decode_ = nullptr;
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model)
      : model_(std::move(model)), state_(model_->stateElements(), 0.0f) {}

  const Model &model() const { return *model_; }
  const std::vector<float> &state() const { return state_; }
  void reset() { std::fill(state_.begin(), state_.end(), 0.0f); }
  RunOutcome forward(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                     std::string *error) {
    return model_->run(ids, n, state_, wanted, logitsOut, error);
  }

 private:
  // Shared so a model stays loaded while any of its sessions lives.
  std::shared_ptr<const Model> model_;
  std::vector<float> state_;
};

}  // namespace tern

#endif  // TERN_RUNTIME_MODEL_H
