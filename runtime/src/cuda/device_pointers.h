// Conversions between device addresses as the driver API sees them (CUdeviceptr) and as generated
// code sees them (pointers in memref descriptors), and the one switch both decode paths read.
#ifndef TERN_RUNTIME_CUDA_DEVICE_POINTERS_H
#define TERN_RUNTIME_CUDA_DEVICE_POINTERS_H

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cuda/driver_api.h"

namespace tern::cuda {

template <typename T>
T *devicePointer(CUdeviceptr p) {
  return reinterpret_cast<T *>(static_cast<uintptr_t>(p));
}

inline CUdeviceptr address(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

// Decode steps are captured and replayed as CUDA graphs unless TERN_CUDA_GRAPH=0.
inline bool graphsRequested() {
  const char *value = std::getenv("TERN_CUDA_GRAPH");
  return !value || std::strcmp(value, "0") != 0;
}

// TERN_CUDA_DEPENDENT_LAUNCH=0 launches an artifact's kernels in plain stream order even when it
// was compiled for programmatic dependent launch (for comparing the two).
inline bool dependentLaunchRequested() {
  const char *value = std::getenv("TERN_CUDA_DEPENDENT_LAUNCH");
  return !value || std::strcmp(value, "0") != 0;
}

}  // namespace tern::cuda

#endif  // TERN_RUNTIME_CUDA_DEVICE_POINTERS_H
