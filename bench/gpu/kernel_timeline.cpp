// A CUPTI injection library that records when every kernel of a CUDA program started and ended on
// the GPU, graph-launched kernels included, and writes them as CSV when the program exits:
//
//   CUDA_INJECTION64_PATH=libkernel_timeline.so TERN_TIMELINE_OUT=t.csv tern-run MODEL ...
//
// Nsight Systems is not available on the GPU machines we borrow; this is the part of it that the
// decode step's analysis needs (bench/gpu/timeline.py reads the CSV). Built on the GPU machine by
// `scripts/gpu-tests.sh timeline`, against the CUPTI headers of its CUDA toolkit; KERNEL_RECORD is
// the newest CUpti_ActivityKernelN struct that toolkit declares.
#include <cupti.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#ifndef KERNEL_RECORD
#error "define KERNEL_RECORD as the CUpti_ActivityKernelN struct of this CUPTI"
#endif

namespace {

struct Kernel {
  std::string name;
  unsigned long long start, end;
  unsigned grid, block, graphNode;
};

std::mutex mutex;
std::vector<Kernel> kernels;

void check(CUptiResult result, const char *what) {
  if (result == CUPTI_SUCCESS) return;
  const char *message = nullptr;
  cuptiGetResultString(result, &message);
  std::fprintf(stderr, "kernel_timeline: %s: %s\n", what, message ? message : "unknown error");
}

void CUPTIAPI bufferRequested(uint8_t **buffer, size_t *size, size_t *maxRecords) {
  constexpr size_t kBytes = size_t(8) << 20;
  *buffer = static_cast<uint8_t *>(std::aligned_alloc(8, kBytes));
  *size = kBytes;
  *maxRecords = 0;
}

void CUPTIAPI bufferCompleted(CUcontext, uint32_t, uint8_t *buffer, size_t, size_t valid) {
  CUpti_Activity *record = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL &&
        record->kind != CUPTI_ACTIVITY_KIND_KERNEL)
      continue;
    auto *k = reinterpret_cast<const KERNEL_RECORD *>(record);
    kernels.push_back({k->name ? k->name : "?", static_cast<unsigned long long>(k->start),
                       static_cast<unsigned long long>(k->end),
                       static_cast<unsigned>(k->gridX) * k->gridY * k->gridZ,
                       static_cast<unsigned>(k->blockX) * k->blockY * k->blockZ,
                       static_cast<unsigned>(k->graphNodeId)});
  }
  std::free(buffer);
}

void writeTimeline() {
  check(cuptiActivityFlushAll(1), "flushing the activity buffers");
  const char *path = std::getenv("TERN_TIMELINE_OUT");
  FILE *out = path ? std::fopen(path, "w") : stdout;
  if (!out) {
    std::fprintf(stderr, "kernel_timeline: cannot write %s\n", path);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(out, "name,start_ns,end_ns,grid,block,graph_node\n");
  for (const Kernel &k : kernels)
    std::fprintf(out, "%s,%llu,%llu,%u,%u,%u\n", k.name.c_str(), k.start, k.end, k.grid, k.block,
                 k.graphNode);
  if (out != stdout) std::fclose(out);
}

}  // namespace

// The CUDA driver calls this when CUDA_INJECTION64_PATH names this library.
extern "C" int InitializeInjection(void) {
  check(cuptiActivityRegisterCallbacks(bufferRequested, bufferCompleted), "registering buffers");
  check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "enabling kernel records");
  std::atexit(writeTimeline);
  return 1;
}
