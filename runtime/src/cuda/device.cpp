#include "cuda/device.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace tern::cuda {
namespace {

thread_local ExecutionScope *currentScope = nullptr;
thread_local const Device *currentOnThread = nullptr;

// TERN_DEVICE=cuda:N picks GPU N; "cuda" or nothing picks 0.
int requestedOrdinal() {
  const char *value = std::getenv("TERN_DEVICE");
  if (!value || std::strncmp(value, "cuda:", 5) != 0) return 0;
  return std::atoi(value + 5);
}

constexpr size_t kSmallestBlock = 256;

size_t sizeClass(size_t bytes) {
  size_t size = kSmallestBlock;
  while (size < bytes) size *= 2;
  return size;
}

}  // namespace

std::string check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS) return "";
  return std::string(what) + " failed: " + resultText(result);
}

bool syncStream(const DriverApi &api, CUstream stream, std::string *error) {
  return (*error = check(api.cuStreamSynchronize(stream), "running the model on the GPU")).empty();
}

void releaseStream(const DriverApi &api, CUstream stream, CUgraphExec graphExec, CUgraph graph,
                   std::initializer_list<void *> pinned) {
  if (stream) api.cuStreamSynchronize(stream);
  if (graphExec) api.cuGraphExecDestroy(graphExec);
  if (graph) api.cuGraphDestroy(graph);
  for (void *host : pinned)
    if (host) api.cuMemFreeHost(host);
  if (stream) api.cuStreamDestroy(stream);
}

const Device *Device::get(std::string *error) {
  static std::once_flag once;
  static Device *device = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    const DriverApi *api = driverApi(&failure);
    if (!api) return;
    auto *d = new Device();  // lives as long as the process: the context outlives every model
    d->api_ = api;
    d->ordinal_ = requestedOrdinal();
    int count = 0;
    CUdevice handle = 0;
    char name[256] = {0};
    if ((failure = check(api->cuDeviceGetCount(&count), "cuDeviceGetCount")).size()) return;
    if (d->ordinal_ < 0 || d->ordinal_ >= count) {
      failure = "no CUDA device " + std::to_string(d->ordinal_) + " (" + std::to_string(count) +
                " found; TERN_DEVICE=cuda:N picks one)";
      return;
    }
    if ((failure = check(api->cuDeviceGet(&handle, d->ordinal_), "cuDeviceGet")).size() ||
        (failure = check(api->cuDeviceGetName(name, sizeof name - 1, handle), "cuDeviceGetName")).size() ||
        (failure = check(api->cuDeviceGetAttribute(&d->ccMajor_, kAttributeComputeCapabilityMajor, handle),
                         "cuDeviceGetAttribute")).size() ||
        (failure = check(api->cuDeviceGetAttribute(&d->ccMinor_, kAttributeComputeCapabilityMinor, handle),
                         "cuDeviceGetAttribute")).size() ||
        (failure = check(api->cuDeviceGetAttribute(&d->multiprocessors_, kAttributeMultiprocessorCount,
                                                   handle),
                         "cuDeviceGetAttribute")).size() ||
        (failure = check(api->cuDeviceTotalMem(&d->totalMemory_, handle), "cuDeviceTotalMem")).size() ||
        (failure = check(api->cuDevicePrimaryCtxRetain(&d->context_, handle), "cuDevicePrimaryCtxRetain"))
            .size())
      return;
    d->name_ = name;
    device = d;
  });
  if (!device) {
    if (error) *error = failure;
    return nullptr;
  }
  device->makeCurrent();
  return device;
}

void Device::makeCurrent() const {
  if (currentOnThread == this) return;
  api_->cuCtxSetCurrent(context_);
  currentOnThread = this;
}

DeviceAllocator::~DeviceAllocator() {
  const DriverApi &api = device_.api();
  for (auto &[block, size] : live_) api.cuMemFree(block);
  for (auto &[size, blocks] : free_)
    for (CUdeviceptr block : blocks) api.cuMemFree(block);
}

CUdeviceptr DeviceAllocator::allocate(size_t bytes, std::string *error) {
  size_t size = sizeClass(bytes);
  auto list = free_.find(size);
  if (list != free_.end() && !list->second.empty()) {
    CUdeviceptr block = list->second.back();
    list->second.pop_back();
    live_[block] = size;
    return block;
  }
  device_.makeCurrent();
  CUdeviceptr block = 0;
  if (std::string why = check(device_.api().cuMemAlloc(&block, size), "cuMemAlloc"); !why.empty()) {
    *error = why + " (" + std::to_string(size) + " bytes; " + std::to_string(reserved_) +
             " bytes held by this session)";
    return 0;
  }
  reserved_ += size;
  live_[block] = size;
  return block;
}

bool DeviceAllocator::release(CUdeviceptr block) {
  auto it = live_.find(block);
  if (it == live_.end()) return false;
  free_[it->second].push_back(block);
  live_.erase(it);
  return true;
}

ExecutionScope::ExecutionScope(const Device &device, CUstream stream, DeviceAllocator *allocator)
    : device_(device), stream_(stream), allocator_(allocator), outer_(currentScope) {
  device.makeCurrent();
  currentScope = this;
}

ExecutionScope::~ExecutionScope() { currentScope = outer_; }

ExecutionScope *ExecutionScope::current() { return currentScope; }

}  // namespace tern::cuda
