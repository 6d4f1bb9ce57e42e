// What a grid-wide exchange costs inside one persistent kernel, with no launches between the phases
// (docs/performance-gpu.md, "What is missing for the HBM limit", item 4). layer_partials.cu measured
// a layer's four exchanges as kernel boundaries with dependent launch: its skeleton (launch, wait,
// input loads, barriers, no work) took 6.2 µs a layer, and kernel_chain.cu puts the dependent
// launch alone at 0.5-0.9 µs a kernel. Here one block per multiprocessor (a cooperative launch, so
// all are resident) runs every phase of `layers` 2.7B-shaped layers; a phase is what one of a
// layer's products hands the next:
//
//   every block writes its slice of the phase's vector (2560, 2560, 6912, 2560 values: the
//   recurrence output, the residual, the GLU output, the residual) and its partial sum; every block
//   then reads the whole vector and all the partials and checks that the two sums agree (a stale
//   read shows as an error, and the program exits 1).
//
// Ways to know the data is there:
//
//   ll      each value travels with the phase's number in the same 8-byte store (NCCL's "LL"
//           protocol); a reader polls the data itself until every tag is the phase's: no fence, no
//           atomic, no separate flag.
//   flags   plain stores, a barrier, one release store of the phase's number per block; 132
//           threads of every block poll the blocks' flags (acquire), then read the data.
//   hops    as flags, but through block 0: it polls the blocks' flags, then stores the phase's
//           number in one word that thread 0 of every block polls; then the data.
//   coop    plain stores, cooperative_groups' grid.sync(), then the data.
//   nowait  plain stores and reads with no wait at all: what a phase's own work costs (its reads
//           may be stale, so its checks are not counted).
//
// and, without data, the barrier alone:
//
//   tags    every block stores the phase's number in its own word and 132 threads of every block
//           poll all the words;
//   tags2   the same through block 0: it polls the blocks' words and then stores the phase's number
//           in one word that thread 0 of every block polls (two hops, less polling of each word).
//
// --int8 sends 1 byte a value instead of 4 (the quantized vector, as a design that exchanged the
// partials first and the int8 vector second would in its second exchange); --blocks N uses N
// blocks instead of one per multiprocessor.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -o persistent_exchange bench/gpu/persistent_exchange.cu
//   ./persistent_exchange [--int8] [--layers N] [--blocks N]
#include <cooperative_groups.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "graph_timing.h"

namespace cg = cooperative_groups;

constexpr int kThreads = 512;
constexpr int kPhases = 4;
__constant__ int kSizes[kPhases] = {2560, 2560, 6912, 2560};
constexpr int kMaxSize = 6912;

enum Mode { kLL, kFlags, kHops, kCoop, kNoWait };

struct Args {
  int layers;
  unsigned base;  // the first phase's number (tags and flags of earlier runs are smaller)
  int int8;
  uint2 *ll[2];              // ll: [kMaxSize] {value bits, tag}; int8: [kMaxSize / 4]
  uint32_t *plain[2];        // flags/coop: [kMaxSize] value bits, or int8 packed by 4
  uint4 *partials[2];        // [blocks] {sum bits, 0, tag, tag}
  unsigned *flags[2];        // [blocks + 1]: flags/tags: one a block; tags2: and the one block 0 sets
  unsigned long long *errors;
};

__device__ __forceinline__ float valueOf(unsigned phase, int i) { return float((phase * 7u + i) % 13u); }
__device__ __forceinline__ uint32_t packedOf(unsigned phase, int word) {
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= uint32_t(valueOf(phase, 4 * word + k)) << (8 * k);
  return v;
}
__device__ __forceinline__ float unpackSum(uint32_t v) {
  return float((v & 255) + ((v >> 8) & 255) + ((v >> 16) & 255) + (v >> 24));
}

__device__ __forceinline__ void storeLL(uint2 *p, uint32_t value, unsigned tag) {
  asm volatile("st.relaxed.gpu.global.v2.u32 [%0], {%1, %2};" ::"l"(p), "r"(value), "r"(tag) : "memory");
}

// A phase number stored to / awaited at one word, GPU scope: with release / acquire ordering when
// `ordered` (the data written before it is visible to who sees it), relaxed otherwise.
template <bool ordered>
__device__ __forceinline__ void publish(unsigned *p, unsigned phase) {
  if (ordered) asm volatile("st.release.gpu.global.u32 [%0], %1;" ::"l"(p), "r"(phase) : "memory");
  else asm volatile("st.relaxed.gpu.global.u32 [%0], %1;" ::"l"(p), "r"(phase) : "memory");
}
template <bool ordered>
__device__ __forceinline__ void await(const unsigned *p, unsigned phase) {
  unsigned seen;
  do {
    if (ordered) asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(p) : "memory");
    else asm volatile("ld.relaxed.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(p) : "memory");
  } while (seen != phase);
}

// Every block publishes its word; 132 threads of every block await all the words.
template <bool ordered>
__device__ __forceinline__ void oneHop(unsigned *flags, unsigned phase) {
  if (threadIdx.x == 0) publish<ordered>(&flags[blockIdx.x], phase);
  if (threadIdx.x < gridDim.x) await<ordered>(&flags[threadIdx.x], phase);
  __syncthreads();
}

// Every block publishes its word; block 0 awaits them all, then publishes `all`, which thread 0 of
// every block awaits. Two hops instead of one, but each word is polled by at most 132 threads
// instead of every block's 132.
template <bool ordered>
__device__ __forceinline__ void twoHops(unsigned *flags, unsigned *all, unsigned phase) {
  if (threadIdx.x == 0) publish<ordered>(&flags[blockIdx.x], phase);
  if (blockIdx.x == 0) {
    if (threadIdx.x < gridDim.x) await<ordered>(&flags[threadIdx.x], phase);
    __syncthreads();
    if (threadIdx.x == 0) publish<ordered>(all, phase);
  }
  if (threadIdx.x == 0) await<ordered>(all, phase);
  __syncthreads();
}

template <Mode mode>
__global__ void __launch_bounds__(kThreads, 1) phases(Args a) {
  __shared__ float warpSums[kThreads / 32];
  const int blocks = gridDim.x, block = blockIdx.x, t = threadIdx.x;
  for (int p = 0; p < a.layers * kPhases; ++p) {
    const unsigned phase = a.base + unsigned(p);
    const int E = kSizes[p % kPhases];
    const bool odd = p & 1;
    uint2 *const ll = odd ? a.ll[1] : a.ll[0];
    uint32_t *const plain = odd ? a.plain[1] : a.plain[0];
    uint4 *const partials = odd ? a.partials[1] : a.partials[0];
    unsigned *const flags = odd ? a.flags[1] : a.flags[0];
    // Units a block owns: values, or words of 4 int8 values.
    const int units = a.int8 ? E / 4 : E, chunk = (units + blocks - 1) / blocks;
    const int first = block * chunk, last = min(units, first + chunk);
    // Produce: the block's slice (chunk <= 53, so warps 0-1), and its partial from warp 0.
    float mine = 0.f;
    if (t < 64) {
      for (int u = first + t; u < last; u += 64) {
        uint32_t bits = a.int8 ? packedOf(phase, u) : __float_as_uint(valueOf(phase, u));
        mine += a.int8 ? unpackSum(bits) : valueOf(phase, u);
        if (mode == kLL) storeLL(&ll[u], bits, phase);
        else __stcg(&plain[u], bits);
      }
    }
    if (t < 64) {
      for (int o = 16; o; o >>= 1) mine += __shfl_xor_sync(~0u, mine, o);
      if ((t & 31) == 0) warpSums[t >> 5] = mine;
    }
    __syncthreads();
    if (t == 0) {
      const float partial = warpSums[0] + warpSums[1];
      uint4 v = make_uint4(__float_as_uint(partial), 0u, phase, phase);
      if (mode == kLL) {
        asm volatile("st.relaxed.gpu.global.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(&partials[block]),
                     "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
                     : "memory");
      } else {
        __stcg(&partials[block], v);
      }
    }
    // Wait.
    if (mode == kFlags) {
      __syncthreads();
      oneHop<true>(flags, phase);
    } else if (mode == kHops) {
      __syncthreads();
      twoHops<true>(flags, (p & 1) ? a.flags[0] + blocks : a.flags[1] + blocks, phase);
    } else if (mode == kCoop) {
      cg::this_grid().sync();
    }
    // Consume: the whole vector and every partial.
    float sum = 0.f, partialSum = 0.f;
    if (mode == kLL) {
      // All of a thread's loads in flight at once; then only the ones whose tags were old again.
      constexpr int kPer = (kMaxSize / 2 + kThreads - 1) / kThreads;
      uint4 v[kPer];
      bool pending = true;
#pragma unroll
      for (int k = 0; k < kPer; ++k) v[k] = make_uint4(0, 0, 0, 0);
      while (pending) {
        pending = false;
#pragma unroll
        for (int k = 0; k < kPer; ++k) {
          const int u2 = t + k * kThreads;
          if (u2 < units / 2 && (v[k].y != phase || v[k].w != phase)) v[k] = loadRelaxed4(&ll[2 * u2]);
        }
#pragma unroll
        for (int k = 0; k < kPer; ++k) {
          const int u2 = t + k * kThreads;
          if (u2 < units / 2 && (v[k].y != phase || v[k].w != phase)) pending = true;
        }
      }
#pragma unroll
      for (int k = 0; k < kPer; ++k)
        if (t + k * kThreads < units / 2)
          sum += a.int8 ? unpackSum(v[k].x) + unpackSum(v[k].z)
                        : __uint_as_float(v[k].x) + __uint_as_float(v[k].z);
      if (t < blocks) {
        uint4 w;
        do w = loadRelaxed4(&partials[t]);
        while (w.z != phase || w.w != phase);
        partialSum = __uint_as_float(w.x);
      }
    } else {
      constexpr int kPer = (kMaxSize / 4 + kThreads - 1) / kThreads;
      uint4 v[kPer];
#pragma unroll
      for (int k = 0; k < kPer; ++k)
        if (t + k * kThreads < units / 4)
          v[k] = __ldcg(reinterpret_cast<const uint4 *>(plain) + t + k * kThreads);
#pragma unroll
      for (int k = 0; k < kPer; ++k)
        if (t + k * kThreads < units / 4)
          sum += a.int8 ? unpackSum(v[k].x) + unpackSum(v[k].y) + unpackSum(v[k].z) + unpackSum(v[k].w)
                        : __uint_as_float(v[k].x) + __uint_as_float(v[k].y) + __uint_as_float(v[k].z) +
                              __uint_as_float(v[k].w);
      if (t < blocks) {
        uint4 v = __ldcg(&partials[t]);
        if (mode != kNoWait && v.z != phase) atomicAdd(a.errors, 1ull);
        partialSum = __uint_as_float(v.x);
      }
    }
    // The block's totals (one reduction level, as a real phase needs for its scales): both sums of
    // the whole vector, which must agree with the closed form.
    float both = sum - partialSum;
    for (int o = 16; o; o >>= 1) both += __shfl_xor_sync(~0u, both, o);
    __syncthreads();
    if ((t & 31) == 0) warpSums[t >> 5] = both;
    __syncthreads();
    if (t == 0) {
      float total = 0.f;
      for (int w = 0; w < kThreads / 32; ++w) total += warpSums[w];
      if (mode != kNoWait && total != 0.f) atomicAdd(a.errors, 1ull);
    }
  }
}

// The barrier alone: oneHop / twoHops with relaxed ordering and no data.
__global__ void __launch_bounds__(kThreads, 1) tagsOnly(Args a) {
  for (int p = 0; p < a.layers * kPhases; ++p)
    oneHop<false>((p & 1) ? a.flags[1] : a.flags[0], a.base + unsigned(p));
}
__global__ void __launch_bounds__(kThreads, 1) tagsTwoHops(Args a) {
  const int blocks = gridDim.x;
  for (int p = 0; p < a.layers * kPhases; ++p)
    twoHops<false>((p & 1) ? a.flags[1] : a.flags[0],
                   (p & 1) ? a.flags[0] + blocks : a.flags[1] + blocks, a.base + unsigned(p));
}

int main(int argc, char **argv) {
  int layers = 320;
  int int8 = 0, blocksWanted = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--int8")) int8 = 1;
    else if (!std::strcmp(argv[i], "--layers") && i + 1 < argc) layers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--blocks") && i + 1 < argc) blocksWanted = std::atoi(argv[++i]);
    else layers = 0;
    if (layers < 1 || blocksWanted < 0) {
      std::fprintf(stderr, "usage: %s [--int8] [--layers N] [--blocks N]\n", argv[0]);
      return 2;
    }
  }
  int device = 0, sms = 0;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int blocks = blocksWanted > 0 && blocksWanted < sms ? blocksWanted : sms;
  Args a{};
  a.layers = layers;
  a.int8 = int8;
  for (int b = 0; b < 2; ++b) {
    CHECK(cudaMalloc(&a.ll[b], sizeof(uint2) * kMaxSize));
    CHECK(cudaMalloc(&a.plain[b], sizeof(uint32_t) * kMaxSize));
    CHECK(cudaMalloc(&a.partials[b], sizeof(uint4) * blocks));
    CHECK(cudaMalloc(&a.flags[b], sizeof(unsigned) * (blocks + 1)));
    CHECK(cudaMemset(a.ll[b], 0, sizeof(uint2) * kMaxSize));
    CHECK(cudaMemset(a.partials[b], 0, sizeof(uint4) * blocks));
    CHECK(cudaMemset(a.flags[b], 0, sizeof(unsigned) * (blocks + 1)));
  }
  CHECK(cudaMalloc(&a.errors, sizeof(unsigned long long)));
  CHECK(cudaMemset(a.errors, 0, sizeof(unsigned long long)));
  cudaStream_t stream;
  CHECK(cudaStreamCreate(&stream));
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  std::printf("%d blocks x %d threads, %d layers of %d phases, %s values\n", blocks, kThreads, layers,
              kPhases, int8 ? "int8" : "f32");
  const char *names[] = {"ll", "flags", "hops", "coop", "nowait", "tags", "tags2"};
  void (*kernels[])(Args) = {phases<kLL>,   phases<kFlags>,  phases<kHops>, phases<kCoop>,
                             phases<kNoWait>, tagsOnly, tagsTwoHops};
  unsigned base = 1;
  for (int round = 0; round < 2; ++round) {
    for (int m = 0; m < 7; ++m) {
      std::vector<float> times;
      for (int rep = 0; rep < 6; ++rep) {
        a.base = base;
        base += unsigned(layers * kPhases);
        void *params[] = {&a};
        CHECK(cudaEventRecord(start, stream));
        CHECK(cudaLaunchCooperativeKernel(reinterpret_cast<void *>(kernels[m]), blocks, kThreads,
                                          params, 0, stream));
        CHECK(cudaEventRecord(stop, stream));
        CHECK(cudaEventSynchronize(stop));
        float ms;
        CHECK(cudaEventElapsedTime(&ms, start, stop));
        if (rep) times.push_back(ms * 1000.f / layers);
      }
      std::sort(times.begin(), times.end());
      unsigned long long errors = 0;
      CHECK(cudaMemcpy(&errors, a.errors, sizeof errors, cudaMemcpyDeviceToHost));
      std::printf("%-6s %.3f µs a layer (%.3f a phase), errors so far %llu\n", names[m],
                  times[times.size() / 2], times[times.size() / 2] / kPhases, errors);
    }
  }
  unsigned long long errors = 0;
  CHECK(cudaMemcpy(&errors, a.errors, sizeof errors, cudaMemcpyDeviceToHost));
  return errors ? 1 : 0;
}
