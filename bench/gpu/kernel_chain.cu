// How long one kernel of a decode step's chain costs when it does almost nothing: the floor under
// every kernel of the step (docs/performance-gpu.md). A CUDA graph of `kChain` kernels, each of
// which waits for the one before, reads a word the one before wrote and writes one for the next, is
// replayed and timed with events, for three ways of waiting:
//
//   plain      stream order: a kernel starts when the one before has finished
//   pdl        programmatic dependent launch: every kernel starts early (launch_dependents first
//              thing) and waits with griddepcontrol.wait, as tern's sm_90 kernels do
//   flag       programmatic dependent launch for the early start, but the wait is a counter in
//              global memory: every block of a kernel adds 1 when its stores are done (fence
//              first), and thread 0 of every block of the next kernel polls until it reaches the
//              block count of the one before
//
// for chains of single-block (1024 threads) and wide (160 or 480 blocks of 256 threads) kernels, and
// for a chain that alternates the two, as a decode step does.
//
//   nvcc -O3 -arch=sm_90 -o kernel_chain bench/gpu/kernel_chain.cu -lcuda && ./kernel_chain
#include <cuda.h>

#include <cstdio>
#include <cstdlib>

#include "graph_timing.h"


constexpr int kChain = 256;

enum Mode { kPlain, kPdl, kFlag };

__device__ __forceinline__ void waitFor(const unsigned *counter, unsigned blocks) {
  if (threadIdx.x == 0) {
    unsigned seen;
    do {
      asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(counter) : "memory");
    } while (seen < blocks);
  }
  __syncthreads();
}

__device__ __forceinline__ void signal(unsigned *counter) {
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    atomicAdd(counter, 1u);
  }
}

// Kernel `index` of the chain: data[index] = data[index - 1] + 1 (one thread of block 0 reads and
// writes; every thread of every block takes part in the wait).
template <Mode mode>
__global__ void link(float *data, unsigned *counters, int index, unsigned previousBlocks) {
  if (mode != kPlain) signalDependents();
  if (mode == kPdl) waitForPrimary();
  if (mode == kFlag && index > 0) waitFor(&counters[index - 1], previousBlocks);
  if (blockIdx.x == 0 && threadIdx.x == 0) data[index] = (index ? data[index - 1] : 0.f) + 1.f;
  if (mode == kFlag) signal(&counters[index]);
}

// Kernel i has shape i % 2 of `shapes` (blocks, threads): alternating, as the single-block kernels
// and the matrix-vector kernels of a decode step do.
template <Mode mode>
float timeChain(cudaStream_t stream, float *data, unsigned *counters, const int (&shapes)[2][2]) {
  cudaGraph_t graph;
  CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  if (mode == kFlag) CHECK(cudaMemsetAsync(counters, 0, kChain * sizeof(unsigned), stream));
  for (int i = 0; i < kChain; ++i) {
    launchKernel(stream, shapes[i % 2][0], shapes[i % 2][1], 0, mode != kPlain && i > 0,
                 link<mode>, data, counters, i, unsigned(shapes[(i + 1) % 2][0]));
  }
  CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec;
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  float per = medianReplayMicros(exec, stream, 5, 20) / kChain;
  float last;
  CHECK(cudaMemcpy(&last, data + kChain - 1, sizeof last, cudaMemcpyDeviceToHost));
  if (last != float(kChain)) {
    std::fprintf(stderr, "wrong result: %g instead of %d\n", last, kChain);
    std::exit(1);
  }
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));
  return per;
}

int main() {
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  float *data;
  unsigned *counters;
  CHECK(cudaMalloc(&data, kChain * sizeof(float)));
  CHECK(cudaMalloc(&counters, kChain * sizeof(unsigned)));
  std::printf("us per kernel of a chain of %d (graph replay, median of 20)\n", kChain);
  const int chains[][2][2] = {{{1, 1024}, {1, 1024}},
                              {{160, 256}, {160, 256}},
                              {{480, 256}, {480, 256}},
                              {{1, 1024}, {480, 256}}};
  std::printf("%-34s %8s %8s %8s\n", "kernels (blocks x threads)", "plain", "pdl", "flag");
  for (const auto &chain : chains) {
    float plain = timeChain<kPlain>(stream, data, counters, chain);
    float pdl = timeChain<kPdl>(stream, data, counters, chain);
    float flag = timeChain<kFlag>(stream, data, counters, chain);
    char name[64];
    std::snprintf(name, sizeof name, "%dx%d, then %dx%d", chain[0][0], chain[0][1], chain[1][0],
                  chain[1][1]);
    std::printf("%-34s %8.2f %8.2f %8.2f\n", name, plain, pdl, flag);
  }
  return 0;
}
