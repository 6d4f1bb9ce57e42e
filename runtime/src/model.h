// The runtime's C++ core behind the C API: a loaded model (artifact + generated code) and a session
// (one sequence's recurrent state).
#ifndef TERN_RUNTIME_MODEL_H
#define TERN_RUNTIME_MODEL_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kernel_dispatch.h"
#include "function_call.h"
#include "memref_abi.h"
#include "shared_object.h"
#include "tern/artifact.h"

namespace tern {

namespace cuda {
class CudaModel;    // cuda/cuda_model.h: a CUDA artifact's weights on the device
class CudaSession;  // its per-session stream, device state and decode graph
class CudaBatch;    // batch.h's states on the device and its batch-decode graph
}  // namespace cuda

enum class LogitsWanted { None, Last, All };

// Why a run failed: the caller's input, or generated code that broke the ABI.
enum class RunOutcome { Ok, BadInput, BrokenAbi };

class Model {
 public:
  // A CUDA artifact (manifest target "kind": "cuda") runs on the GPU; TERN_DEVICE=cpu|cuda[:N], when
  // set, must agree with the artifact (and picks the GPU).
  static std::shared_ptr<const Model> open(const std::string &path, std::string *error);
  ~Model();

  // Set for CUDA artifacts: the weights on the device and the entry points (sessions run there).
  const cuda::CudaModel *cuda() const { return cuda_.get(); }
  // The weights the code reads: the artifact's section, or those synthesized at load for an artifact
  // compiled with --random-weights (synthetic_weights.h).
  const unsigned char *weightsData() const;
  size_t weightsSize() const;

  const std::string &path() const { return artifact_->path(); }
  const ArtifactManifest &manifest() const { return artifact_->manifest(); }
  std::string_view tokenizer() const { return artifact_->tokenizer(); }
  int64_t vocabSize() const { return manifest().vocabSize; }
  size_t stateElements() const {
    return static_cast<size_t>(manifest().numLayers) * static_cast<size_t>(manifest().hiddenSize);
  }

  // The microkernels' ISA and threads (kernel_dispatch.h). Configure before running sessions: a
  // change while a session runs is not synchronised.
  KernelContext &kernels() const { return *kernels_; }

  // Kind "mlir": the compiled functions, and a call of one (function_call.h).
  bool isModule() const { return manifest().kind == kArtifactKindModule; }
  const std::vector<LoadedFunction> &functions() const { return functions_; }
  const LoadedFunction *function(const std::string &name) const;
  RunOutcome call(const LoadedFunction &fn, const tern_tensor *args, size_t numArgs,
                  tern_tensor *results, size_t numResults, std::string *error) const;

  // Runs prefill (n > 1) or decode (n == 1) from `state` (updated in place on success) and copies
  // the requested logits rows into `logitsOut`. On failure `state` is left unchanged.
  RunOutcome run(const int32_t *ids, size_t n, std::vector<float> &state, LogitsWanted wanted,
                 float *logitsOut, std::string *error) const;

  // The batch-decode entry point (batch.h); null for artifacts compiled without one.
  BatchEntryPoint decodeBatch() const { return decodeBatch_; }

 private:
  Model() = default;
  std::unique_ptr<ArtifactFile> artifact_;
  std::unique_ptr<InMemorySharedObject> code_;
  // Heap-allocated: the generated code holds its address (kKernelContextSlot).
  std::unique_ptr<KernelContext> kernels_;
  EntryPoint prefill_ = nullptr;
  EntryPoint decode_ = nullptr;
  BatchEntryPoint decodeBatch_ = nullptr;
  std::vector<LoadedFunction> functions_;
  std::unique_ptr<cuda::CudaModel> cuda_;
  // --random-weights: made at load, page-aligned like the artifact's section (freed with free()).
  std::unique_ptr<unsigned char, void (*)(void *)> synthesized_{nullptr, std::free};
  size_t synthesizedSize_ = 0;
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model);
  Session(Session &&) noexcept;
  ~Session();

  const Model &model() const { return *model_; }
  // For a CUDA model the state lives on the device; this copies it back first.
  const std::vector<float> &state() const;
  void reset();
  RunOutcome forward(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                     std::string *error);

 private:
  // Shared so a model stays loaded while any of its sessions lives.
  std::shared_ptr<const Model> model_;
  mutable std::vector<float> state_;
  // CUDA models: made at the first forward call, whose error path can report a failure.
  std::unique_ptr<cuda::CudaSession> cuda_;
};

}  // namespace tern

#endif  // TERN_RUNTIME_MODEL_H
