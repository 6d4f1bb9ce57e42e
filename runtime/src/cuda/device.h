// The GPU the runtime runs CUDA artifacts on, device memory per stream, and the scope that the
// generated code's mgpu* calls (mgpu_abi.cpp) run in.
#ifndef TERN_RUNTIME_CUDA_DEVICE_H
#define TERN_RUNTIME_CUDA_DEVICE_H

#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/driver_api.h"

namespace tern::cuda {

// One GPU and its primary context, shared by every model of the process. The ordinal comes from
// TERN_DEVICE=cuda:N (default 0) the first time a CUDA artifact is opened.
class Device {
 public:
  // The device, initialised once; nullptr with *error when there is no usable CUDA driver or GPU.
  // Makes the context current on the calling thread.
  static const Device *get(std::string *error);

  const DriverApi &api() const { return *api_; }
  // Makes the primary context current on the calling thread (cheap after the first call).
  void makeCurrent() const;

  int ordinal() const { return ordinal_; }
  const std::string &name() const { return name_; }
  int computeCapability() const { return ccMajor_ * 10 + ccMinor_; }  // 90 for sm_90
  int multiprocessors() const { return multiprocessors_; }
  size_t totalMemory() const { return totalMemory_; }

 private:
  Device() = default;
  const DriverApi *api_ = nullptr;
  CUcontext context_ = nullptr;
  int ordinal_ = 0;
  std::string name_;
  int ccMajor_ = 0, ccMinor_ = 0, multiprocessors_ = 0;
  size_t totalMemory_ = 0;
};

// "CUDA_ERROR_X (text)" prefixed with what failed, or "" on success.
std::string check(CUresult result, const char *what);

// Waits for the model's work on `stream`; "" in *error, or why it failed.
bool syncStream(const DriverApi &api, CUstream stream, std::string *error);

// Ends what a decode session or a batch holds on the device, any of it null: waits for the stream,
// destroys the captured graph, frees the pinned host buffers, then the stream.
void releaseStream(const DriverApi &api, CUstream stream, CUgraphExec graphExec, CUgraph graph,
                   std::initializer_list<void *> pinned);

// Device memory for the work of one stream. A freed block goes to a list per size class (powers of
// two from 256 bytes) and is handed out again before new memory is asked for; work is ordered on the
// stream, so a block can be reused as soon as it is freed. Plain cuMemAlloc memory, never managed.
class DeviceAllocator {
 public:
  explicit DeviceAllocator(const Device &device) : device_(device) {}
  ~DeviceAllocator();  // frees every block; the stream must be idle
  DeviceAllocator(const DeviceAllocator &) = delete;
  DeviceAllocator &operator=(const DeviceAllocator &) = delete;

  // 0 and *error on failure. Blocks are at least 256-byte aligned.
  CUdeviceptr allocate(size_t bytes, std::string *error);
  // Returns a block to its list; false if the allocator did not hand it out.
  bool release(CUdeviceptr block);
  bool owns(CUdeviceptr block) const { return live_.count(block) != 0; }
  size_t reservedBytes() const { return reserved_; }

 private:
  const Device &device_;
  std::unordered_map<CUdeviceptr, size_t> live_;      // block -> size class
  std::map<size_t, std::vector<CUdeviceptr>> free_;   // size class -> free blocks
  size_t reserved_ = 0;
};

// What the generated code's mgpu* calls use while the runtime runs one of its entry points on this
// thread: the session's stream and allocator, and where the first failure is kept (the generated
// code cannot report errors itself). Scopes nest; the innermost is current.
class ExecutionScope {
 public:
  ExecutionScope(const Device &device, CUstream stream, DeviceAllocator *allocator);
  ~ExecutionScope();
  ExecutionScope(const ExecutionScope &) = delete;
  ExecutionScope &operator=(const ExecutionScope &) = delete;

  static ExecutionScope *current();  // nullptr outside every scope

  const Device &device() const { return device_; }
  CUstream stream() const { return stream_; }
  DeviceAllocator *allocator() const { return allocator_; }
  // While a graph is being captured, synchronisation is deferred and allocations must hit the cache.
  bool capturing = false;
  // Kernels are launched with programmatic stream serialization (sm_90 programmatic dependent
  // launch): only for artifacts whose every kernel waits for the one before it
  // (manifest "dependent_launch", tern-gpu-dependent-launch).
  bool dependentLaunch = false;

  bool failed() const { return !error_.empty(); }
  const std::string &error() const { return error_; }
  void fail(const std::string &message) {
    if (error_.empty()) error_ = message;
  }

 private:
  const Device &device_;
  CUstream stream_;
  DeviceAllocator *allocator_;
  std::string error_;
  ExecutionScope *outer_;
};

}  // namespace tern::cuda

#endif  // TERN_RUNTIME_CUDA_DEVICE_H
