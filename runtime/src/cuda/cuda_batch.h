// A CUDA artifact's side of Batch (batch.h): B sequences' states kept on the device ([B, L, H]), one
// stream, and the batch-decode step captured once as a CUDA graph and replayed for every later step
// (as CudaSession does for single-sequence decode; docs/cuda.md).
#ifndef TERN_RUNTIME_CUDA_CUDA_BATCH_H
#define TERN_RUNTIME_CUDA_CUDA_BATCH_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cuda/cuda_model.h"
#include "cuda/device.h"
#include "memref_abi.h"

namespace tern::cuda {

class CudaBatch {
 public:
  // `decodeBatch` is the artifact's batch entry point; `size` the number of sequences (>= 1).
  static std::unique_ptr<CudaBatch> create(const CudaModel &model, BatchEntryPoint decodeBatch,
                                           size_t size, std::string *error);
  ~CudaBatch();

  // One step: ids[b] (already checked against the vocabulary) is the next token of sequence b.
  // Copies the [B, V] logits to `logitsOut` unless it is null. Steps after the first replay a CUDA
  // graph unless TERN_CUDA_GRAPH=0. On failure the states are unchanged.
  bool step(const int32_t *ids, float *logitsOut, std::string *error);
  // Zeroes sequence `index`'s state, or every state when index == size().
  bool reset(size_t index, std::string *error);
  // Copies sequence `index`'s state (layers x hidden floats) to `out`.
  bool readState(size_t index, float *out, std::string *error);
  size_t size() const { return size_; }
  bool usesGraph() const { return graphExec_ != nullptr; }

 private:
  CudaBatch(const CudaModel &model, BatchEntryPoint decodeBatch, size_t size);
  size_t stateFloats() const { return size_t(model_.layers() * model_.hidden()); }
  // Calls the entry point on the stream (no sync); "" or why its results break the ABI.
  std::string call(BatchEntryPointResults *results);
  std::string checkResults(const BatchEntryPointResults &results) const;
  bool runEager(float *logitsOut, std::string *error);
  bool captureGraph(std::string *error);
  bool replayGraph(float *logitsOut, std::string *error);
  void release(const BatchEntryPointResults &results);
  bool sync(std::string *error);

  const CudaModel &model_;
  const DriverApi &api_;
  BatchEntryPoint decodeBatch_;
  size_t size_;
  CUstream stream_ = nullptr;
  DeviceAllocator allocator_;
  CUdeviceptr states_ = 0;        // [B, layers, hidden] f32
  CUdeviceptr ids_ = 0;           // [B] i32, read by every step (and the graph)
  int32_t *hostIds_ = nullptr;    // pinned: the step's token ids
  float *hostLogits_ = nullptr;   // pinned: [B, V] logits
  bool warm_ = false;             // an eager step ran: every allocation of one step is cached
  bool graphsEnabled_ = true;
  bool dependentLaunch_ = false;  // as CudaSession's
  CUgraph graph_ = nullptr;
  CUgraphExec graphExec_ = nullptr;
  BatchEntryPointResults graphResults_{};  // the buffers the graph writes (kept, never recycled)
};

}  // namespace tern::cuda

#endif  // TERN_RUNTIME_CUDA_CUDA_BATCH_H
