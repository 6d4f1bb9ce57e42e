#include "cuda/driver_api.h"

#include <dlfcn.h>

#include <mutex>

namespace tern::cuda {
namespace {

struct Loaded {
  DriverApi api{};
  std::string error;
  bool ok = false;
};

template <typename Fn>
bool resolve(void *library, const char *name, Fn *slot, std::string *error) {
  void *symbol = dlsym(library, name);
  if (!symbol) {
    *error = std::string("libcuda.so.1 lacks ") + name + " (the driver is too old for this runtime)";
    return false;
  }
  *slot = reinterpret_cast<Fn>(symbol);
  return true;
}

Loaded load() {
  Loaded loaded;
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    loaded.error = std::string("no CUDA driver: ") + (why ? why : "libcuda.so.1 not found");
    return loaded;
  }
  DriverApi &a = loaded.api;
  std::string &e = loaded.error;
  bool ok = resolve(library, "cuInit", &a.cuInit, &e) &&
            resolve(library, "cuDriverGetVersion", &a.cuDriverGetVersion, &e) &&
            resolve(library, "cuDeviceGetCount", &a.cuDeviceGetCount, &e) &&
            resolve(library, "cuDeviceGet", &a.cuDeviceGet, &e) &&
            resolve(library, "cuDeviceGetName", &a.cuDeviceGetName, &e) &&
            resolve(library, "cuDeviceGetAttribute", &a.cuDeviceGetAttribute, &e) &&
            resolve(library, "cuDeviceTotalMem_v2", &a.cuDeviceTotalMem, &e) &&
            resolve(library, "cuDevicePrimaryCtxRetain", &a.cuDevicePrimaryCtxRetain, &e) &&
            resolve(library, "cuCtxSetCurrent", &a.cuCtxSetCurrent, &e) &&
            resolve(library, "cuModuleLoadDataEx", &a.cuModuleLoadDataEx, &e) &&
            resolve(library, "cuModuleUnload", &a.cuModuleUnload, &e) &&
            resolve(library, "cuModuleGetFunction", &a.cuModuleGetFunction, &e) &&
            resolve(library, "cuLaunchKernel", &a.cuLaunchKernel, &e) &&
            resolve(library, "cuStreamCreate", &a.cuStreamCreate, &e) &&
            resolve(library, "cuStreamDestroy_v2", &a.cuStreamDestroy, &e) &&
            resolve(library, "cuStreamSynchronize", &a.cuStreamSynchronize, &e) &&
            resolve(library, "cuStreamIsCapturing", &a.cuStreamIsCapturing, &e) &&
            resolve(library, "cuStreamBeginCapture_v2", &a.cuStreamBeginCapture, &e) &&
            resolve(library, "cuStreamEndCapture", &a.cuStreamEndCapture, &e) &&
            resolve(library, "cuGraphInstantiateWithFlags", &a.cuGraphInstantiateWithFlags, &e) &&
            resolve(library, "cuGraphLaunch", &a.cuGraphLaunch, &e) &&
            resolve(library, "cuGraphExecDestroy", &a.cuGraphExecDestroy, &e) &&
            resolve(library, "cuGraphDestroy", &a.cuGraphDestroy, &e) &&
            resolve(library, "cuMemAlloc_v2", &a.cuMemAlloc, &e) &&
            resolve(library, "cuMemFree_v2", &a.cuMemFree, &e) &&
            resolve(library, "cuMemHostAlloc", &a.cuMemHostAlloc, &e) &&
            resolve(library, "cuMemFreeHost", &a.cuMemFreeHost, &e) &&
            resolve(library, "cuMemcpyHtoD_v2", &a.cuMemcpyHtoD, &e) &&
            resolve(library, "cuMemcpyHtoDAsync_v2", &a.cuMemcpyHtoDAsync, &e) &&
            resolve(library, "cuMemcpyDtoHAsync_v2", &a.cuMemcpyDtoHAsync, &e) &&
            resolve(library, "cuMemcpyDtoDAsync_v2", &a.cuMemcpyDtoDAsync, &e) &&
            resolve(library, "cuMemsetD32Async", &a.cuMemsetD32Async, &e) &&
            resolve(library, "cuMemsetD8Async", &a.cuMemsetD8Async, &e) &&
            resolve(library, "cuEventCreate", &a.cuEventCreate, &e) &&
            resolve(library, "cuEventDestroy_v2", &a.cuEventDestroy, &e) &&
            resolve(library, "cuEventRecord", &a.cuEventRecord, &e) &&
            resolve(library, "cuEventSynchronize", &a.cuEventSynchronize, &e) &&
            resolve(library, "cuEventElapsedTime", &a.cuEventElapsedTime, &e) &&
            resolve(library, "cuGetErrorName", &a.cuGetErrorName, &e) &&
            resolve(library, "cuGetErrorString", &a.cuGetErrorString, &e);
  a.cuLaunchKernelEx = reinterpret_cast<decltype(a.cuLaunchKernelEx)>(dlsym(library, "cuLaunchKernelEx"));
  if (!ok) return loaded;  // the library stays loaded: harmless, and dlclose could run its atexit code
  if (CUresult r = a.cuInit(0); r != CUDA_SUCCESS) {
    const char *name = nullptr;
    a.cuGetErrorName(r, &name);
    e = std::string("cuInit failed: ") + (name ? name : std::to_string(r).c_str()) +
        " (no usable NVIDIA GPU or driver)";
    return loaded;
  }
  loaded.ok = true;
  return loaded;
}

}  // namespace

const DriverApi *driverApi(std::string *error) {
  static const Loaded loaded = load();  // thread-safe, once
  if (!loaded.ok) {
    if (error) *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

std::string resultText(CUresult result) {
  const DriverApi *api = driverApi(nullptr);
  const char *name = nullptr, *text = nullptr;
  if (api) {
    api->cuGetErrorName(result, &name);
    api->cuGetErrorString(result, &text);
  }
  std::string out = name ? name : "CUDA error " + std::to_string(result);
  if (text) out += std::string(" (") + text + ")";
  return out;
}

}  // namespace tern::cuda
