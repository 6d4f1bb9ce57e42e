// Batch decode: B independent sequences, each with its own recurrent state, stepped together one
// token each through the artifact's batch-decode entry point (`entry_points.decode_batch`). The
// weights are read once per step for all B tokens; each sequence gets what a Session decoding it
// alone would get.
#ifndef TERN_RUNTIME_BATCH_H
#define TERN_RUNTIME_BATCH_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model.h"

namespace tern {

class Batch {
 public:
  // `size` sequences (>= 1), all states zero. nullptr and *error when the model has no batch decode
  // (a compiled MLIR module, or an artifact compiled before batch decode existed), size is 0, or the
  // device state cannot be made. *badInput tells the caller's mistakes from device failures.
  static std::unique_ptr<Batch> create(std::shared_ptr<const Model> model, size_t size,
                                       bool *badInput, std::string *error);
  ~Batch();

  const Model &model() const { return *model_; }
  size_t size() const { return size_; }

  // One step: ids[b] (n == size()) is the next token of sequence b. Writes the [B, V] logits to
  // logitsOut unless it is null. On failure no state changes.
  RunOutcome step(const int32_t *ids, size_t n, float *logitsOut, std::string *error);
  // Zeroes sequence `index`'s state (a new sequence in that slot), or all of them when index ==
  // size().
  bool reset(size_t index, std::string *error);
  // Copies sequence `index`'s state ([L, H] floats) to `out`.
  bool readState(size_t index, float *out, std::string *error) const;

 private:
  Batch(std::shared_ptr<const Model> model, size_t size);
  RunOutcome stepOnCpu(const int32_t *ids, float *logitsOut, std::string *error);

  // Shared so a model stays loaded while any of its batches lives.
  std::shared_ptr<const Model> model_;
  size_t size_;
  std::vector<float> states_;  // CPU models: [B, L, H]
  std::unique_ptr<cuda::CudaBatch> cuda_;  // CUDA models: the states live on the device
};

}  // namespace tern

#endif  // TERN_RUNTIME_BATCH_H
