// A CUDA artifact's side of Model and Session (model.h): the weights uploaded once to the device, and
// per session a stream, device memory, the recurrent state kept on the device, and the decode step
// captured once as a CUDA graph and replayed for every later token (docs/cuda.md).
#ifndef TERN_RUNTIME_CUDA_CUDA_MODEL_H
#define TERN_RUNTIME_CUDA_CUDA_MODEL_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/device.h"
#include "cuda/device_pointers.h"
#include "memref_abi.h"
#include "model.h"

namespace tern::cuda {

class CudaModel {
 public:
  // Uploads `weightsBytes` bytes of weights from `weights` (host memory).
  static std::unique_ptr<CudaModel> create(const Device &device, const void *weights,
                                           size_t weightsBytes, EntryPoint prefill, EntryPoint decode,
                                           int64_t layers, int64_t hidden, int64_t vocab,
                                           bool dependentLaunch, std::string *error);
  ~CudaModel();

  const Device &device() const { return device_; }
  CUdeviceptr weights() const { return weights_; }
  size_t weightsBytes() const { return weightsBytes_; }
  EntryPoint prefill() const { return prefill_; }
  EntryPoint decode() const { return decode_; }
  int64_t layers() const { return layers_; }
  int64_t hidden() const { return hidden_; }
  int64_t vocab() const { return vocab_; }
  // Whether a session or batch made now launches the kernels with programmatic serialization: the
  // artifact's kernels wait for each other themselves (manifest "dependent_launch") and
  // TERN_CUDA_DEPENDENT_LAUNCH is not 0.
  bool launchesDependent() const { return dependentLaunch_ && dependentLaunchRequested(); }

 private:
  explicit CudaModel(const Device &device) : device_(device) {}
  const Device &device_;
  CUdeviceptr weights_ = 0;
  size_t weightsBytes_ = 0;
  EntryPoint prefill_ = nullptr, decode_ = nullptr;
  int64_t layers_ = 0, hidden_ = 0, vocab_ = 0;
  bool dependentLaunch_ = false;
};

class CudaSession {
 public:
  static std::unique_ptr<CudaSession> create(const CudaModel &model, std::string *error);
  ~CudaSession();

  // As Model::run, from the device state (ids already checked against the vocabulary). Decode steps
  // after the first replay a CUDA graph unless TERN_CUDA_GRAPH=0.
  RunOutcome forward(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                     std::string *error);
  // Zeroes the device state.
  bool reset(std::string *error);
  // Copies the device state (layers x hidden floats) to `out`.
  bool readState(float *out, std::string *error);
  bool usesGraph() const { return graph_ != nullptr; }

 private:
  explicit CudaSession(const CudaModel &model);
  RunOutcome runEager(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                      std::string *error);
  bool captureDecodeGraph(std::string *error);
  RunOutcome replayDecodeGraph(int32_t id, LogitsWanted wanted, float *logitsOut, std::string *error);
  // Checks an entry point's results against the ABI; "" when they are fine.
  std::string checkResults(const EntryPointResults &results, size_t n) const;
  bool sync(std::string *error);

  const CudaModel &model_;
  const DriverApi &api_;
  CUstream stream_ = nullptr;
  DeviceAllocator allocator_;
  CUdeviceptr state_ = 0;     // [layers, hidden] f32, the session's recurrent state
  CUdeviceptr decodeId_ = 0;  // one i32, read by the decode graph
  CUdeviceptr ids_ = 0;       // prefill ids
  size_t idsCapacity_ = 0;
  int32_t *hostId_ = nullptr;       // pinned: the token fed to the graph
  float *hostLogits_ = nullptr;     // pinned: one row of logits
  bool decodeWarm_ = false;         // an eager decode ran: every allocation of one step is cached
  bool graphsEnabled_ = true;
  bool dependentLaunch_ = false;
  CUgraph graph_ = nullptr;
  CUgraphExec graphExec_ = nullptr;
  EntryPointResults graphResults_{};  // the buffers the graph writes (kept, never recycled)
};

}  // namespace tern::cuda

#endif  // TERN_RUNTIME_CUDA_CUDA_MODEL_H
