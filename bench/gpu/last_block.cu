// Does a single-block kernel cost less as the tail of the product before it, or polling the
// product's output instead of waiting for the product to end? A decode layer of tern
// alternates products (160-432 blocks of 256 threads) with single-block kernels (1 block of 640
// threads) that reduce the product's whole output (norms, absmax) and write the next product's
// input. Each single-block kernel is one more dependent launch. The alternative measured here runs
// the single-block step in whichever block of the product finishes last: every block, once its
// outputs are stored, adds 1 to a counter (fence first), and the block that brings it to the block
// count does the step with its 256 threads (the "threadfence reduction" pattern).
//
// A CUDA graph of `kPairs` pairs (product, step), replayed and timed with events:
//
//   pair        two kernels a pair, programmatic dependent launch, each kernel signalling
//               launch_dependents right after its griddepcontrol.wait (tern's decode kernels)
//   pair-early  the same, launch_dependents first thing (tern's prefill kernels)
//   last        one kernel a pair: the product, whose last block runs the step
//   last-early  the same, launch_dependents first thing
//   polled      two kernels a pair; the step does not wait for the product to end: it is resident
//               already (dependent launch) and polls the product's output, which the product
//               stores with its pair's number beside each value in the same 8 bytes (as the `ll`
//               exchange of persistent_exchange.cu), then signals launch_dependents; the product
//               waits for the step before it as in `pair`
//   polled-early  the same, the step signalling launch_dependents first thing
//   polled-both   the product polls its input the same way (the step stores it tagged too), and
//               neither kernel waits: each signals launch_dependents once its poll has seen all
//               of its input, so at most two kernels of the chain are in flight
//
// What the kernels do, so that a stale read is an error (exit 1): the product's blocks copy the
// whole input vector (2,560 ints; --n) into shared memory, as tern's products do, and each writes its
// slice of out = in + 1; the step sums all of `out` (a block reduction), records the sum and writes
// in = out for the next pair. After the graph every element must equal the pair count and every
// recorded sum the vector's length times its pair's number.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -o last_block bench/gpu/last_block.cu && ./last_block [--rounds N] [--n LENGTH]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "graph_timing.h"

constexpr int kMaxN = 6912;
int gN = 2560;  // the vector's length (--n)
constexpr int kPairs = 128;
constexpr int kProductThreads = 256;
constexpr int kStepThreads = 640;

enum Mode { kPair, kPairEarly, kLast, kLastEarly, kPolled, kPolledEarly, kPolledBoth };
constexpr const char *kModeNames[] = {"pair",   "pair-early",   "last",       "last-early",
                                      "polled", "polled-early", "polled-both"};
constexpr Mode kModes[] = {kPair, kPairEarly, kLast, kLastEarly, kPolled, kPolledEarly, kPolledBoth};

__device__ __forceinline__ void enter(bool early) {
  if (early) signalDependents();
  waitForPrimary();
  if (!early) signalDependents();
}

// The sum of `value` over the block (any multiple of 32 threads up to 1024), in every thread.
__device__ int blockSum(int value) {
  __shared__ int warps[32];
  value = __reduce_add_sync(0xffffffffu, value);
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32, count = blockDim.x / 32;
  if (lane == 0) warps[warp] = value;
  __syncthreads();
  int total = lane < count ? warps[lane] : 0;
  total = __reduce_add_sync(0xffffffffu, total);
  __syncthreads();
  return total;
}

// The single-block step: reads the product's whole output (from L2: other multiprocessors wrote
// it), records its sum and hands it on as the next product's input. Like tern's single-block
// kernels it issues all its loads at once (16 bytes each) and keeps the values in registers.
template <int kThreads>
__device__ void step(const int *out, int *in, int *sums, int pair, int n) {
  constexpr int kPer = (kMaxN / 4 + kThreads - 1) / kThreads;
  const int4 *out4 = reinterpret_cast<const int4 *>(out);
  int4 *in4 = reinterpret_cast<int4 *>(in);
  int n4 = n / 4;
  int4 values[kPer];
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kThreads;
    values[k] = i < n4 ? __ldcg(out4 + i) : make_int4(0, 0, 0, 0);
  }
  int local = 0;
#pragma unroll
  for (int k = 0; k < kPer; ++k) local += values[k].x + values[k].y + values[k].z + values[k].w;
  int total = blockSum(local);
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kThreads;
    if (i < n4) in4[i] = values[k];
  }
  if (threadIdx.x == 0) sums[pair] = total;
}

template <bool last>
__global__ void __launch_bounds__(kProductThreads)
    product(const int *in, int *out, unsigned *counters, int *sums, int pair, bool early, int n) {
  __shared__ int4 vector4[kMaxN / 4];
  __shared__ bool isLast;
  const int *vector = reinterpret_cast<const int *>(vector4);
  constexpr int kPer = (kMaxN / 4 + kProductThreads - 1) / kProductThreads;
  int n4 = n / 4;
  int4 copy[kPer];
  enter(early);
  // The whole input into shared memory, all loads issued at once, 16 bytes each (as tern's
  // products copy their activations).
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kProductThreads;
    if (i < n4) copy[k] = reinterpret_cast<const int4 *>(in)[i];
  }
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kProductThreads;
    if (i < n4) vector4[i] = copy[k];
  }
  __syncthreads();
  int rows = (n + gridDim.x - 1) / gridDim.x, first = blockIdx.x * rows;
  for (int r = threadIdx.x; r < rows && first + r < n; r += blockDim.x)
    out[first + r] = vector[first + r] + 1;
  if (!last) return;
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    isLast = atomicAdd(&counters[pair], 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!isLast) return;
  __threadfence();
  step<kProductThreads>(out, const_cast<int *>(in), sums, pair, n);
}

__global__ void __launch_bounds__(kStepThreads)
    stepKernel(const int *out, int *in, int *sums, int pair, bool early, int n) {
  enter(early);
  step<kStepThreads>(out, in, sums, pair, n);
}

// The polled modes' vectors: {value, pair number} a value, stored and loaded at GPU scope, two
// values a 16-byte access.
__device__ __forceinline__ void storeTagged2(uint2 *p, int a, int b, unsigned tag) {
  asm volatile("st.relaxed.gpu.global.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(p), "r"(a), "r"(tag),
               "r"(b), "r"(tag)
               : "memory");
}

// Thread t's pairs of values of a tagged vector of `n` (loads t, t + kThreads, ...), all loads
// issued at once; with `poll`, each load repeated until both its tags are `tag`. A poll that does
// not end counts an error and gives up, so that a broken chain fails instead of hanging.
template <int kThreads, int kPer>
__device__ void loadTagged(const uint2 *src, int n, unsigned tag, bool poll, uint4 (&v)[kPer],
                           unsigned *errors) {
  int n2 = n / 2;
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kThreads;
    v[k] = i < n2 ? loadRelaxed4(src + 2 * i) : make_uint4(0, tag, 0, tag);
  }
  if (!poll) return;
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kThreads;
    for (int spins = 0; i < n2 && (v[k].y != tag || v[k].w != tag); ++spins) {
      if (spins == (1 << 22)) {
        atomicAdd(errors, 1u);
        break;
      }
      v[k] = loadRelaxed4(src + 2 * i);
    }
  }
}

// The product of the polled modes: the input (tagged) after a griddepcontrol.wait, or polled
// (`pollInput`: polled-both); the output tagged with the pair's number + 1.
template <bool pollInput>
__global__ void __launch_bounds__(kProductThreads)
    polledProduct(const uint2 *in, uint2 *out, int pair, int n, unsigned *errors) {
  __shared__ int vector[kMaxN];
  constexpr int kPer = (kMaxN / 2 + kProductThreads - 1) / kProductThreads;
  uint4 copy[kPer];
  if (!pollInput) enter(false);
  loadTagged<kProductThreads>(in, n, unsigned(pair), pollInput, copy, errors);
  if (pollInput) signalDependents();
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kProductThreads;
    if (i < n / 2) {
      vector[2 * i] = int(copy[k].x);
      vector[2 * i + 1] = int(copy[k].z);
    }
  }
  __syncthreads();
  // Whole 16-byte stores: a block's rows rounded to pairs of values.
  int pairs = (n / 2 + gridDim.x - 1) / gridDim.x, first = blockIdx.x * pairs;
  for (int r = threadIdx.x; r < pairs && first + r < n / 2; r += blockDim.x) {
    int i = 2 * (first + r);
    storeTagged2(out + i, vector[i] + 1, vector[i + 1] + 1, unsigned(pair + 1));
  }
}

// The step of the polled modes: polls the product's output instead of waiting for the product to
// end, signals launch_dependents first thing (`early`) or once it has seen all of it, and stores
// the next input tagged.
__global__ void __launch_bounds__(kStepThreads)
    polledStep(const uint2 *out, uint2 *in, int *sums, int pair, bool early, int n,
               unsigned *errors) {
  constexpr int kPer = (kMaxN / 2 + kStepThreads - 1) / kStepThreads;
  if (early) signalDependents();
  uint4 v[kPer];
  loadTagged<kStepThreads>(out, n, unsigned(pair + 1), true, v, errors);
  if (!early) signalDependents();
  int local = 0;
#pragma unroll
  for (int k = 0; k < kPer; ++k) local += int(v[k].x) + int(v[k].z);
  int total = blockSum(local);
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    int i = threadIdx.x + k * kStepThreads;
    if (i < n / 2) storeTagged2(in + 2 * i, int(v[k].x), int(v[k].z), unsigned(pair + 1));
  }
  if (threadIdx.x == 0) sums[pair] = total;
}

struct Buffers {
  int *in, *out, *sums;
  unsigned *counters;
  uint2 *taggedIn, *taggedOut;  // the polled modes' vectors
  unsigned *errors;             // polls that gave up
};

float timePairs(cudaStream_t stream, const Buffers &b, Mode mode, int productBlocks) {
  bool early = mode == kPairEarly || mode == kLastEarly || mode == kPolledEarly;
  bool fused = mode == kLast || mode == kLastEarly;
  bool polled = mode == kPolled || mode == kPolledEarly || mode == kPolledBoth;
  cudaGraph_t graph;
  CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  CHECK(cudaMemsetAsync(b.in, 0, gN * sizeof(int), stream));
  CHECK(cudaMemsetAsync(b.sums, 0, kPairs * sizeof(int), stream));
  CHECK(cudaMemsetAsync(b.counters, 0, kPairs * sizeof(unsigned), stream));
  // Tags 0: the first product's input, and no pair's output.
  CHECK(cudaMemsetAsync(b.taggedIn, 0, gN * sizeof(uint2), stream));
  CHECK(cudaMemsetAsync(b.taggedOut, 0, gN * sizeof(uint2), stream));
  for (int pair = 0; pair < kPairs; ++pair) {
    if (polled) {
      if (mode == kPolledBoth)
        launchKernel(stream, productBlocks, kProductThreads, 0, pair > 0, polledProduct<true>,
                     (const uint2 *)b.taggedIn, b.taggedOut, pair, gN, b.errors);
      else
        launchKernel(stream, productBlocks, kProductThreads, 0, pair > 0, polledProduct<false>,
                     (const uint2 *)b.taggedIn, b.taggedOut, pair, gN, b.errors);
      launchKernel(stream, 1, kStepThreads, 0, true, polledStep, (const uint2 *)b.taggedOut,
                   b.taggedIn, b.sums, pair, early, gN, b.errors);
    } else if (fused) {
      launchKernel(stream, productBlocks, kProductThreads, 0, pair > 0, product<true>,
                   (const int *)b.in, b.out, b.counters, b.sums, pair, early, gN);
    } else {
      launchKernel(stream, productBlocks, kProductThreads, 0, pair > 0, product<false>,
                   (const int *)b.in, b.out, b.counters, b.sums, pair, early, gN);
      launchKernel(stream, 1, kStepThreads, 0, true, stepKernel, (const int *)b.out, b.in, b.sums,
                   pair, early, gN);
    }
  }
  CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec;
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  float perPair = medianReplayMicros(exec, stream, 5, 20) / kPairs;
  std::vector<int> in(gN), sums(kPairs);
  if (polled) {
    std::vector<uint2> tagged(gN);
    CHECK(cudaMemcpy(tagged.data(), b.taggedIn, gN * sizeof(uint2), cudaMemcpyDeviceToHost));
    for (int i = 0; i < gN; ++i) in[i] = tagged[i].y == kPairs ? int(tagged[i].x) : -1;
  } else {
    CHECK(cudaMemcpy(in.data(), b.in, gN * sizeof(int), cudaMemcpyDeviceToHost));
  }
  CHECK(cudaMemcpy(sums.data(), b.sums, kPairs * sizeof(int), cudaMemcpyDeviceToHost));
  unsigned errors = 0;
  CHECK(cudaMemcpy(&errors, b.errors, sizeof(unsigned), cudaMemcpyDeviceToHost));
  if (errors) {
    std::fprintf(stderr, "%s, %d blocks: %u polls never saw their data\n", kModeNames[mode],
                 productBlocks, errors);
    std::exit(1);
  }
  for (int i = 0; i < gN; ++i)
    if (in[i] != kPairs) {
      std::fprintf(stderr, "%s, %d blocks: in[%d] = %d instead of %d\n", kModeNames[mode],
                   productBlocks, i, in[i], kPairs);
      std::exit(1);
    }
  for (int p = 0; p < kPairs; ++p)
    if (sums[p] != gN * (p + 1)) {
      std::fprintf(stderr, "%s, %d blocks: sum of pair %d = %d instead of %d\n", kModeNames[mode],
                   productBlocks, p, sums[p], gN * (p + 1));
      std::exit(1);
    }
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));
  return perPair;
}

int main(int argc, char **argv) {
  int rounds = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (arg == "--n" && i + 1 < argc) {
      gN = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--rounds N] [--n LENGTH (a multiple of 4, up to %d)]\n", argv[0], kMaxN);
      return 2;
    }
  }
  if (gN < 4 || gN > kMaxN || gN % 4) {
    std::fprintf(stderr, "--n must be a multiple of 4 in 4..%d\n", kMaxN);
    return 2;
  }
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  Buffers b;
  CHECK(cudaMalloc(&b.in, kMaxN * sizeof(int)));
  CHECK(cudaMalloc(&b.out, kMaxN * sizeof(int)));
  CHECK(cudaMalloc(&b.sums, kPairs * sizeof(int)));
  CHECK(cudaMalloc(&b.counters, kPairs * sizeof(unsigned)));
  CHECK(cudaMalloc(&b.taggedIn, kMaxN * sizeof(uint2)));
  CHECK(cudaMalloc(&b.taggedOut, kMaxN * sizeof(uint2)));
  CHECK(cudaMalloc(&b.errors, sizeof(unsigned)));
  CHECK(cudaMemset(b.errors, 0, sizeof(unsigned)));
  std::printf("us per (product, step) pair, %d pairs a graph, vectors of %d ints (graph replay, "
              "median of 20)\n", kPairs, gN);
  std::printf("%-16s", "product blocks");
  for (Mode mode : kModes) std::printf(" %12s", kModeNames[mode]);
  std::printf("\n");
  for (int round = 0; round < rounds; ++round)
    for (int blocks : {160, 320, 432}) {
      std::printf("%-16d", blocks);
      for (Mode mode : kModes) std::printf(" %12.2f", timePairs(stream, b, mode, blocks));
      std::printf("\n");
    }
  return 0;
}
