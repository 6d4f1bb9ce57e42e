// What bench/gpu's CUDA programs share: CHECK for runtime API calls, a kernel launch with or
// without programmatic dependent launch and the kernels' side of it, the median time of a CUDA
// graph's replays, and the 16-byte GPU-scope load of the programs that poll data other blocks
// store.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK(x)                                                                              \
  do {                                                                                        \
    cudaError_t e = (x);                                                                      \
    if (e != cudaSuccess) {                                                                   \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)

// Launches `kernel` on `stream`; with `dependent`, as a programmatic dependent launch (it may start
// before the kernel before it ends, and waits for it with griddepcontrol.wait).
template <typename... Params, typename... Values>
void launchKernel(cudaStream_t stream, dim3 grid, dim3 block, size_t sharedBytes, bool dependent,
                  void (*kernel)(Params...), Values... values) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = sharedBytes;
  config.stream = stream;
  cudaLaunchAttribute attribute;
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &attribute;
  config.numAttrs = dependent ? 1 : 0;
  CHECK(cudaLaunchKernelEx(&config, kernel, values...));
}

// The device side of a programmatic dependent launch: let the next kernel start (once every block
// of this one has signalled), and wait until the kernel before this one has completed and its
// memory is visible. The "memory" clobber keeps loads and stores on their side of each.
__device__ __forceinline__ void signalDependents() {
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}
__device__ __forceinline__ void waitForPrimary() { asm volatile("griddepcontrol.wait;" ::: "memory"); }

// Replays `exec` `warmups` times, then `reps` more one at a time between two events: the median
// replay, in microseconds.
inline float medianReplayMicros(cudaGraphExec_t exec, cudaStream_t stream, int warmups, int reps) {
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < warmups; ++i) CHECK(cudaGraphLaunch(exec, stream));
  std::vector<float> times;
  for (int rep = 0; rep < reps; ++rep) {
    CHECK(cudaEventRecord(start, stream));
    CHECK(cudaGraphLaunch(exec, stream));
    CHECK(cudaEventRecord(stop, stream));
    CHECK(cudaEventSynchronize(stop));
    float ms;
    CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms * 1000.f);
  }
  CHECK(cudaEventDestroy(start));
  CHECK(cudaEventDestroy(stop));
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// 16 bytes loaded at GPU scope (relaxed: not from a stale L1 line), for polling what other blocks
// store.
__device__ __forceinline__ uint4 loadRelaxed4(const void *p) {
  uint4 v;
  asm volatile("ld.relaxed.gpu.global.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p)
               : "memory");
  return v;
}
