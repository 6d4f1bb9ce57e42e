// The mgpu* functions that MLIR's gpu-to-llvm lowering calls from generated host code (the signatures
// of mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp), implemented over the dlopen'd driver. The
// generated code resolves them against the process that loads it, so the executable exports them
// (tern-run is linked with ENABLE_EXPORTS; see docs/cuda.md).
//
// They run in the ExecutionScope the runtime set up around the entry-point call: "creating" a stream
// gives the session's stream, synchronising it is left to the runtime (which synchronises before it
// reads any result), memory comes from the session's DeviceAllocator, and a failure is kept in the
// scope (these functions cannot return errors) and skips the launches after it.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include "cuda/device.h"
#include "cuda/mgpu_abi.h"

using namespace tern::cuda;

namespace {

// Records a failure in the current scope, or prints it when there is none.
void report(const std::string &message) {
  if (ExecutionScope *scope = ExecutionScope::current())
    scope->fail(message);
  else
    std::fprintf(stderr, "tern runtime (CUDA): %s\n", message.c_str());
}

const Device *device() {
  if (ExecutionScope *scope = ExecutionScope::current()) return &scope->device();
  std::string error;
  const Device *d = Device::get(&error);
  if (!d) report(error);
  return d;
}

bool ok(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS) return true;
  report(check(result, what));
  return false;
}

CUstream scopeStream() {
  ExecutionScope *scope = ExecutionScope::current();
  return scope ? scope->stream() : nullptr;
}

}  // namespace

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) { return mgpuModuleLoadJIT(data, 3); }

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  const Device *d = device();
  if (!d) return nullptr;
  char log[8192] = {0};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes, kJitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(sizeof log - 1),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUmodule module = nullptr;
  CUresult result = d->api().cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result != CUDA_SUCCESS) {
    report(check(result, "loading the kernels (cuModuleLoadDataEx)") +
           (log[0] ? std::string("; the driver's PTX compiler said: ") + log : ""));
    return nullptr;
  }
  return module;
}

void mgpuModuleUnload(void *module) {
  const Device *d = device();
  if (d && module) d->api().cuModuleUnload(static_cast<CUmodule>(module));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  const Device *d = device();
  if (!d || !module) return nullptr;
  CUfunction function = nullptr;
  if (!ok(d->api().cuModuleGetFunction(&function, static_cast<CUmodule>(module), name),
          "cuModuleGetFunction"))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  ExecutionScope *scope = ExecutionScope::current();
  if (scope && scope->failed()) return;  // the first failure is the one to report
  const Device *d = device();
  if (!d) return;
  if (!function) {
    report("a kernel launch has no kernel (the module did not load)");
    return;
  }
  // A driver that refuses programmatic serialization gets plain launches from then on: the
  // kernels' waits return at once without it, and stream order keeps them correct.
  static std::atomic<bool> programmaticRefused{false};
  if (scope && scope->dependentLaunch && d->api().cuLaunchKernelEx && !programmaticRefused) {
    CUlaunchAttribute attribute{};
    attribute.id = kLaunchAttributeProgrammaticStreamSerialization;
    attribute.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{unsigned(gridX),  unsigned(gridY), unsigned(gridZ),
                          unsigned(blockX), unsigned(blockY), unsigned(blockZ),
                          unsigned(smem),   static_cast<CUstream>(stream), &attribute, 1};
    if (d->api().cuLaunchKernelEx(&config, static_cast<CUfunction>(function), params, extra) ==
        CUDA_SUCCESS)
      return;
    programmaticRefused = true;
  }
  ok(d->api().cuLaunchKernel(static_cast<CUfunction>(function), unsigned(gridX), unsigned(gridY),
                             unsigned(gridZ), unsigned(blockX), unsigned(blockY), unsigned(blockZ),
                             unsigned(smem), static_cast<CUstream>(stream), params, extra),
     "cuLaunchKernel");
}

void *mgpuStreamCreate() {
  if (CUstream stream = scopeStream()) return stream;
  const Device *d = device();
  CUstream stream = nullptr;
  if (d) ok(d->api().cuStreamCreate(&stream, kStreamNonBlocking), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (!stream || stream == scopeStream()) return;
  if (const Device *d = device()) d->api().cuStreamDestroy(static_cast<CUstream>(stream));
}

void mgpuStreamSynchronize(void *stream) {
  if (stream && stream == scopeStream()) return;  // the runtime synchronises before reading results
  if (const Device *d = device())
    ok(d->api().cuStreamSynchronize(static_cast<CUstream>(stream)), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  // cuStreamWaitEvent is not in the loaded table: events only order work between streams, and all of
  // a scope's work is on one stream, which orders it already.
  (void)stream;
  (void)event;
}

void *mgpuEventCreate() {
  const Device *d = device();
  CUevent event = nullptr;
  if (d) ok(d->api().cuEventCreate(&event, 0), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (const Device *d = device(); d && event) d->api().cuEventDestroy(static_cast<CUevent>(event));
}

void mgpuEventSynchronize(void *event) {
  ExecutionScope *scope = ExecutionScope::current();
  if (scope && scope->capturing) return;
  if (const Device *d = device(); d && event)
    ok(d->api().cuEventSynchronize(static_cast<CUevent>(event)), "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  if (const Device *d = device(); d && event)
    ok(d->api().cuEventRecord(static_cast<CUevent>(event), static_cast<CUstream>(stream)),
       "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  ExecutionScope *scope = ExecutionScope::current();
  if (isHostShared) {
    report("the generated code asked for host-shared memory, which this runtime does not give");
    return nullptr;
  }
  if (!scope || !scope->allocator()) {
    report("device memory was requested outside a session");
    return nullptr;
  }
  std::string error;
  CUdeviceptr block = scope->allocator()->allocate(sizeBytes ? sizeBytes : 1, &error);
  if (!block) scope->fail(error);
  return reinterpret_cast<void *>(block);
}

void mgpuMemFree(void *ptr, void * /*stream*/) {
  ExecutionScope *scope = ExecutionScope::current();
  if (!ptr) return;
  if (!scope || !scope->allocator() ||
      !scope->allocator()->release(reinterpret_cast<CUdeviceptr>(ptr)))
    report("the generated code freed device memory this session did not give it");
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (const Device *d = device())
    ok(d->api().cuMemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(dst),
                                  reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                                  static_cast<CUstream>(stream)),
       "cuMemcpyDtoDAsync");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  if (const Device *d = device())
    ok(d->api().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                                 static_cast<CUstream>(stream)),
       "cuMemsetD32Async");
}

void mgpuSetDefaultDevice(int32_t /*device*/) {
  report("the generated code tried to change the device; TERN_DEVICE=cuda:N picks it");
}

}  // extern "C"
