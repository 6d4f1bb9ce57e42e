// A design measurement for the batch-1 decode step (docs/performance-gpu.md, "What is missing for
// the HBM limit"): how long a 2.7B-shaped layer takes when it runs as its 4 ternary products and
// nothing else, every norm's and quantization's row reductions being done across all
// multiprocessors in the products' epilogues instead of in single-block kernels between them.
//
// The algebra that makes one reduction level per product enough (model-spec.md's chains, rewritten;
// the order of the float operations changes, so results may differ from the reference by int8
// rounding flips, which model-spec.md accepts):
//   attn_norm then the projections' own norm, then each projection's absmax:
//     x = h r1 wa,  r1 = rsqrt(sum h^2 / H + eps)
//     y = x r2 wb,  r2 = rsqrt(r1^2 sum (h wa)^2 / H + eps),  max|y| = r1 r2 max|h wa wb|
//   so sum h^2, sum (h wa)^2 and max|h wa wb| come from one pass over h (the same for mlp_norm and
//   the gate/up projection's norm); g_norm then o_proj's norm: o = rg u with u = g wgn swish(h_t),
//   so sum g^2, sum u^2 and max|u wbo| come from one pass; the down projection's norm is one level.
//
// Every kernel has one block per multiprocessor (512 threads, at most 64 registers a thread), so
// that the next kernel's block fits beside it and can load its weights while it runs. A block owns
// the rows ("units": row n of the input, forget and gate projections; row n of o; rows n of gate and
// up; row n of down) u = slot * blocks + block, which lie contiguously in memory; before
// griddepcontrol.wait one thread copies them and the kernel's constant vectors (the norm weights
// its quantization multiplies by) into shared memory with cp.async.bulk. After the wait every block
// sums the partials that all blocks of the kernel before wrote, in a fixed order (deterministic),
// computes the scales, quantizes the whole input vector into shared memory and multiplies; each
// warp's units then compute the elementwise step after them (MLGRU, the residual add, the GLU) and
// the block's partial sums and maxima of the next kernel's input.
//
// Products as in tern's decode kernels: 16 trits a 32-bit word (byte j holds in bit pair s the
// code, trit + 1, of trit 4s + j), a word a lane a round, dp4a on the codes masked in place. The
// weights are random codes and the result is not compared with a reference (this measures time;
// numerics belong to the compiler's tests); the program checks only that the output is finite.
//
// It prints the median time of a graph-replayed step of 32 layers and its share of the copy rate
// (trits only). --plain: stream order instead of dependent launch; --skip MASK: parts switched off
// (1 the weights' copies, 2 the partials, 4 the quantization, 8 the products, 16 the epilogues);
// --stamps: when thread 0 of every block of layer 16's kernels reached each stage. -DFAST=1: the
// scalar chains with approximate instructions (tern uses IEEE division and square root);
// -DCONTIGUOUS=1: each block's rows consecutive (by default spread: row slot * blocks + block).
//
//   nvcc -O3 -std=c++17 -arch=sm_90 [-DFAST=1] -o layer_partials bench/gpu/layer_partials.cu
//   ./layer_partials [--plain] [--skip MASK] [--stamps]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "graph_timing.h"


constexpr int kH = 2560, kI = 6912, kLayers = 32;
constexpr int kThreads = 512, kWarps = kThreads / 32;
constexpr float kEps = 1e-6f;
constexpr int kRoundsH = kH / 16 / 32;         // 5 rounds of 32 words for a row of 2560 trits
constexpr int kRoundsI = (kI / 16 + 31) / 32;  // 14 rounds for 6912 (the last one half empty)
constexpr unsigned kFull = 0xffffffffu;

// Parts switched off (--skip MASK) to see what each costs.
enum { kSkipWeights = 1, kSkipPartials = 2, kSkipQuantize = 4, kSkipDot = 8, kSkipEpilogue = 16 };
__constant__ int gSkip;

enum Kind { kIfg, kO, kGu, kDown };

// --stamps: thread 0 of every block of layer kStampLayer's kernels writes %globaltimer at each stage.
constexpr int kStampLayer = 16, kStages = 8;
__constant__ unsigned long long *gStamps;
__device__ __forceinline__ void stamp(int kind, int stage, bool on) {
  if (!on || threadIdx.x != 0) return;
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  gStamps[(kind * gridDim.x + blockIdx.x) * kStages + stage] = t;
}

constexpr int kMaxSlots = 64;  // units a block, at most (6912 / 132 = 53)
constexpr int kMinBlocks = 132;

// The shape of each kind: its units, rows a unit, rounds a row, input length, quantized copies of
// the input, constant vectors, partial sums and maxima read, partial sums and maxima written.
template <int UNITS, int ROWS, int ROUNDS, int K, int COPIES, int CONSTS, int IN_SUMS, int IN_MAXES,
          int OUT_SUMS, int OUT_MAXES>
struct ShapeOf {
  static constexpr int units = UNITS, rows = ROWS, rounds = ROUNDS, k = K, copies = COPIES;
  static constexpr int consts = CONSTS, inSums = IN_SUMS, inMaxes = IN_MAXES;
  static constexpr int outSums = OUT_SUMS, outMaxes = OUT_MAXES;
  // Units a block at most (with kMinBlocks blocks), and a warp: every warp of a block takes
  // unitsPerWarp (the last ones padding).
  static constexpr int maxSlots = (units + kMinBlocks - 1) / kMinBlocks;
  static constexpr int unitsPerWarp = (maxSlots + kWarps - 1) / kWarps;
};
template <int K> struct Shape;
template <> struct Shape<kIfg> : ShapeOf<kH, 3, kRoundsH, kH, 3, 3, 2, 3, 2, 1> {};
template <> struct Shape<kO> : ShapeOf<kH, 1, kRoundsH, kH, 1, 1, 2, 1, 2, 1> {};
template <> struct Shape<kGu> : ShapeOf<kI, 2, kRoundsH, kH, 1, 1, 2, 1, 1, 1> {};
template <> struct Shape<kDown> : ShapeOf<kH, 1, kRoundsI, kI, 1, 1, 1, 1, 2, 3> {};
constexpr int kMaxBlocks = 160;

struct Norms {  // one layer's per-element weights; wai = wa wbi and so on, folded at compile time
  const float *wa, *wbi, *wbf, *wbg, *lb, *wgn, *wbo, *wm, *wgu, *wbd;
  const float *ifgConsts, *oConsts, *guConsts, *downConsts;  // contiguous, copied in bulk
};

struct Layer {
  const uint32_t *w[4];  // each kind's weights, in block-major unit order
  float sw[4];           // the weights' s_w (one for the three projections of kIfg, for brevity)
  Norms n, next;         // this layer's and the next one's (the down epilogue's partials)
  const float *h;        // residual stream in
  float *state, *u, *r, *u2, *hOut;
  const float *pIn;      // partials of the kernel before the first one
  float *p[4];           // partials each kind writes, [blocks][outSums + outMaxes]
  int index;
};

__device__ __forceinline__ uint32_t smemAddress(const void *p) {
  return uint32_t(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void bulkCopy(void *dst, const void *src, uint32_t bytes, uint64_t *bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
          smemAddress(dst)),
      "l"(src), "r"(bytes), "r"(smemAddress(bar))
      : "memory");
}

__device__ __forceinline__ void waitBarrier(uint64_t *bar) {
  asm volatile(
      "{\n .reg .pred p;\n wait:\n"
      " mbarrier.try_wait.parity.shared::cta.b64 p, [%0], 0;\n"
      " @!p bra wait;\n}" ::"r"(smemAddress(bar))
      : "memory");
}

// Unsigned bytes of a (the codes, shifted in place) times signed bytes of b.
__device__ __forceinline__ int dp4a(uint32_t a, int b, int c) {
  int d;
  asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

__device__ __forceinline__ int8_t quantize(float y, float sx) {
  return int8_t(int(fminf(fmaxf(roundf(y * sx), -128.f), 127.f)));
}

// -DFAST=1: the scalar chains (scales, dequantization, sigmoid) with the approximate instructions
// (rsqrt, fast division and exponential) instead of IEEE division and square root.
#ifndef FAST
#define FAST 0
#endif
#ifndef CONTIGUOUS
#define CONTIGUOUS 0
#endif
__device__ __forceinline__ float divide(float a, float b) { return FAST ? __fdividef(a, b) : a / b; }
__device__ __forceinline__ float overSqrt(float a, float b) {  // a / sqrt(b)
  return FAST ? a * rsqrtf(b) : a / sqrtf(b);
}
__device__ __forceinline__ float sigmoid(float z) {
  return FAST ? __fdividef(1.f, 1.f + __expf(-z)) : 1.f / (1.f + expf(-z));
}

// sum_k q_k of the lane's words, for the warp: dp4a with ones.
__device__ __forceinline__ int sumOf(int4 a, int s) {
  s = __dp4a(0x01010101, a.x, s);
  s = __dp4a(0x01010101, a.y, s);
  s = __dp4a(0x01010101, a.z, s);
  return __dp4a(0x01010101, a.w, s);
}

template <int K>
__global__ __launch_bounds__(kThreads, 2) void layerKernel(Layer L) {
  using S = Shape<K>;
  constexpr int inValues = S::inSums + S::inMaxes, outValues = S::outSums + S::outMaxes;
  constexpr int rowWords = S::rounds * 32, qBytes = rowWords * 16;
  constexpr int perThread = (S::k + kThreads - 1) / kThreads;
  extern __shared__ __align__(128) unsigned char smem[];
  __shared__ __align__(8) uint64_t bar;
  __shared__ float totals[8], red[outValues][kMaxSlots];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int blocks = gridDim.x, b = blockIdx.x;
  const bool stamps = gStamps && L.index == kStampLayer;
  stamp(K, 0, stamps);
  const int slots = S::units / blocks + (b < S::units % blocks);
  const int firstSlot = b * (S::units / blocks) + min(b, S::units % blocks);
  const uint32_t weightBytes = slots * S::rows * rowWords * 4;
  uint32_t *ws = reinterpret_cast<uint32_t *>(smem);
  constexpr uint32_t maxWeightBytes = S::maxSlots * S::rows * rowWords * 4;
  float *cs = reinterpret_cast<float *>(smem + maxWeightBytes);
  int8_t *qs = reinterpret_cast<int8_t *>(cs + S::consts * S::k);

  // Before the wait: the block's weights and the constant vectors, in bulk; the units' scalars.
  if (tid == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smemAddress(&bar)) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  __syncthreads();
  const float *consts = K == kIfg ? L.n.ifgConsts : K == kO ? L.n.oConsts
                        : K == kGu ? L.n.guConsts : L.n.downConsts;
  if (tid == 0) {
    uint32_t constBytes = S::consts * S::k * 4;
    bool weights = !(gSkip & kSkipWeights);
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smemAddress(&bar)),
                 "r"((weights ? weightBytes : 0) + constBytes)
                 : "memory");
    if (weights)
      bulkCopy(ws, L.w[K] + size_t(firstSlot) * S::rows * rowWords, weightBytes, &bar);
    bulkCopy(cs, consts, constBytes, &bar);
  }
  for (int i = S::k + tid; i < qBytes; i += kThreads)
    for (int c = 0; c < S::copies; ++c) qs[c * qBytes + i] = 0;
  // Lane j of a warp handles the epilogue of the warp's unit j.
  const int mySlot = warp + lane * kWarps;
  const bool epilogue = lane < S::unitsPerWarp && mySlot < slots && !(gSkip & kSkipEpilogue);
  // Unit of a slot: -DCONTIGUOUS=1 gives a block consecutive units (its outputs one run of
  // memory); by default they are spread, u = slot * blocks + block.
  const int unit = CONTIGUOUS ? firstSlot + mySlot : mySlot * blocks + b;
  float c0 = 0.f, c1 = 0.f, c2 = 0.f, c3 = 0.f;
  if (epilogue) {
    if (K == kIfg) c0 = L.n.lb[unit], c1 = L.n.wgn[unit], c2 = L.n.wbo[unit];
    if (K == kO) c0 = L.n.wm[unit], c1 = L.n.wgu[unit];
    if (K == kGu) c0 = L.n.wbd[unit];
    if (K == kDown)
      c0 = L.next.wa[unit], c1 = L.next.wbi[unit], c2 = L.next.wbf[unit], c3 = L.next.wbg[unit];
  }
  signalDependents();
  waitForPrimary();
  stamp(K, 1, stamps);

  // After: the input vector, the row's own inputs, the partials of the kernel before.
  const float *in = K == kIfg ? L.h : K == kO ? L.u : K == kGu ? L.r : L.u2;
  const float *part = K == kIfg ? L.pIn : L.p[K - 1];
  float own = 0.f;
  if (epilogue) {
    if (K == kIfg) own = L.state[unit];
    if (K == kO) own = L.h[unit];
    if (K == kDown) own = L.r[unit];
  }
  float x[perThread];
#pragma unroll
  for (int m = 0; m < perThread; ++m) {
    int k = tid + m * kThreads;
    x[m] = k < S::k ? in[k] : 0.f;
  }
  if (warp < inValues) {
    bool isMax = warp >= S::inSums;
    float acc = 0.f;
    if (gSkip & kSkipPartials) {
      acc = 1.f;
    } else {
      float v[kMaxBlocks / 32];  // all loads first, then the fixed-order sum
#pragma unroll
      for (int i = 0; i < kMaxBlocks / 32; ++i) {
        int block = lane + 32 * i;
        v[i] = block < blocks ? part[block * inValues + warp] : 0.f;
      }
#pragma unroll
      for (int i = 0; i < kMaxBlocks / 32; ++i) acc = isMax ? fmaxf(acc, v[i]) : acc + v[i];
#pragma unroll
      for (int o = 16; o; o >>= 1) {
        float v = __shfl_xor_sync(kFull, acc, o);
        acc = isMax ? fmaxf(acc, v) : acc + v;
      }
    }
    if (lane == 0) totals[warp] = acc;
  }
  __syncthreads();
  stamp(K, 2, stamps);

  // The scales, then the quantized input (every block the whole vector).
  float rr, sx[S::copies];
  if (K == kDown) {
    rr = overSqrt(1.f, totals[0] / S::k + kEps);
    sx[0] = divide(127.f, fmaxf(rr * totals[1], 1e-5f));
  } else {
    float r1 = overSqrt(1.f, totals[0] / kH + kEps);
    rr = overSqrt(r1, r1 * r1 * totals[1] / kH + kEps);
#pragma unroll
    for (int c = 0; c < S::copies; ++c) sx[c] = divide(127.f, fmaxf(rr * totals[2 + c], 1e-5f));
  }
  waitBarrier(&bar);
  stamp(K, 3, stamps);
  if (!(gSkip & kSkipQuantize)) {
#pragma unroll
    for (int m = 0; m < perThread; ++m) {
      int k = tid + m * kThreads;
      if (k < S::k) {
#pragma unroll
        for (int c = 0; c < S::copies; ++c)
          qs[c * qBytes + k] = quantize(x[m] * rr * cs[c * S::k + k], sx[c]);
      }
    }
  }
  __syncthreads();
  stamp(K, 4, stamps);

  // The products: the warp's units j (slot warp + j * kWarps), each all its rows.
  // Round by round: the lane's activations of each copy (one shared-memory load a round, for all
  // the rows of the warp's units), then each row's word. A warp always takes unitsPerWarp units;
  // past the block's last slot it multiplies that slot again (results unused), so the rows
  // interleave without branches.
  constexpr int U = S::unitsPerWarp;
  int acc[U][S::rows][4] = {};
  int sum[S::copies] = {};
  if (!(gSkip & kSkipDot)) {
#pragma unroll
    for (int i = 0; i < S::rounds; ++i) {
      int4 a[S::copies];
#pragma unroll
      for (int c = 0; c < S::copies; ++c) {
        a[c] = reinterpret_cast<const int4 *>(qs + c * qBytes)[i * 32 + lane];
        sum[c] = sumOf(a[c], sum[c]);
      }
#pragma unroll
      for (int j = 0; j < U; ++j)
#pragma unroll
        for (int r = 0; r < S::rows; ++r) {
          int slot = min(warp + j * kWarps, slots - 1);  // past the last: a real row again
          uint32_t word = ws[(slot * S::rows + r) * rowWords + i * 32 + lane];
          const int4 &x = a[S::copies == 1 ? 0 : r];
          acc[j][r][0] = dp4a(word & 0x03030303u, x.x, acc[j][r][0]);
          acc[j][r][1] = dp4a(word & 0x0c0c0c0cu, x.y, acc[j][r][1]);
          acc[j][r][2] = dp4a(word & 0x30303030u, x.z, acc[j][r][2]);
          acc[j][r][3] = dp4a(word & 0xc0c0c0c0u, x.w, acc[j][r][3]);
        }
    }
  }
#pragma unroll
  for (int c = 0; c < S::copies; ++c) sum[c] = __reduce_add_sync(kFull, sum[c]);
  int dot[U][S::rows];
#pragma unroll
  for (int j = 0; j < U; ++j)
#pragma unroll
    for (int r = 0; r < S::rows; ++r)
      dot[j][r] = __reduce_add_sync(kFull, acc[j][r][0] + (acc[j][r][1] >> 2) +
                                               (acc[j][r][2] >> 4) + (acc[j][r][3] >> 6)) -
                  sum[S::copies == 1 ? 0 : r];
  stamp(K, 5, stamps);
  if (epilogue) {
    float z[S::rows];
#pragma unroll
    for (int r = 0; r < S::rows; ++r) {
      int mine = dot[0][r];
#pragma unroll
      for (int j = 1; j < S::unitsPerWarp; ++j) mine = lane == j ? dot[j][r] : mine;
      z[r] = divide(float(mine), sx[S::copies == 1 ? 0 : r] * L.sw[K]);
    }
    float *slotRed = &red[0][mySlot];
    if constexpr (K == kIfg) {
      float f = c0 + (1.f - c0) * sigmoid(z[1]);
      float s = f * own + z[0] * sigmoid(z[0]) * (1.f - f);
      L.state[unit] = s;
      float u = z[2] * c1 * s * sigmoid(s);
      L.u[unit] = u;
      slotRed[0] = z[2] * z[2];
      slotRed[kMaxSlots] = u * u;
      slotRed[2 * kMaxSlots] = fabsf(u * c2);
    } else if constexpr (K == kO) {
      float r = own + z[0];
      L.r[unit] = r;
      slotRed[0] = r * r;
      slotRed[kMaxSlots] = (r * c0) * (r * c0);
      slotRed[2 * kMaxSlots] = fabsf(r * c0 * c1);
    } else if constexpr (K == kGu) {
      float u = z[0] * sigmoid(z[0]) * z[1];
      L.u2[unit] = u;
      slotRed[0] = u * u;
      slotRed[kMaxSlots] = fabsf(u * c0);
    } else {
      float h = own + z[0], xa = h * c0;
      L.hOut[unit] = h;
      slotRed[0] = h * h;
      slotRed[kMaxSlots] = xa * xa;
      slotRed[2 * kMaxSlots] = fabsf(xa * c1);
      slotRed[3 * kMaxSlots] = fabsf(xa * c2);
      slotRed[4 * kMaxSlots] = fabsf(xa * c3);
    }
  }
  if (gSkip & kSkipPartials) return;
  __syncthreads();
  stamp(K, 6, stamps);
  // The block's partials: warp v reduces value v over the block's slots, in a fixed order.
  if (warp < outValues) {
    bool isMax = warp >= S::outSums;
    float a = lane < slots ? red[warp][lane] : 0.f;
    float c = lane + 32 < slots ? red[warp][lane + 32] : 0.f;
    a = isMax ? fmaxf(a, c) : a + c;
#pragma unroll
    for (int o = 16; o; o >>= 1) {
      float v = __shfl_xor_sync(kFull, a, o);
      a = isMax ? fmaxf(a, v) : a + v;
    }
    if (lane == 0) L.p[K][b * outValues + warp] = a;
  }
  stamp(K, 7, stamps);
}

template <int K>
size_t smemBytes() {
  using S = Shape<K>;
  return size_t(S::maxSlots) * S::rows * S::rounds * 32 * 4 +
         size_t(S::consts) * S::k * 4 + size_t(S::copies) * S::rounds * 32 * 16;
}

__global__ void fillWords(uint32_t *p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 15;
    x *= 2246822519u;
    x ^= x >> 13;
    uint32_t both = x & (x >> 1) & 0x55555555u;  // codes 0..2: clear the high bit of a 3
    p[i] = x & ~(both << 1);
  }
}

__global__ void fillFloats(float *p, size_t n, float base, float spread, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 747796405u + seed;
    x ^= x >> 16;
    x *= 2246822519u;
    x ^= x >> 13;
    p[i] = base + spread * (float(x & 0xffff) / 65535.f - 0.5f);
  }
}

template <typename T>
T *alloc(size_t n) {
  T *p;
  CHECK(cudaMalloc(&p, n * sizeof(T)));
  return p;
}

template <int K>
size_t words() {
  return size_t(Shape<K>::units) * Shape<K>::rows * Shape<K>::rounds * 32;
}

int main(int argc, char **argv) {
  bool plain = false, stamps = false;
  int skip = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--plain") plain = true;
    else if (std::string_view(argv[i]) == "--skip" && i + 1 < argc) skip = std::atoi(argv[++i]);
    else if (std::string_view(argv[i]) == "--stamps") stamps = true;
    else {
      std::fprintf(stderr, "usage: layer_partials [--plain] [--skip MASK] [--stamps]\n");
      return 2;
    }
  }
  CHECK(cudaMemcpyToSymbol(gSkip, &skip, sizeof skip));
  int sms;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int blocks = sms;
  if (blocks > kMaxBlocks || blocks < kMinBlocks) {  // the sketch's sizes assume 132..160
    std::fprintf(stderr, "%d multiprocessors: this sketch is sized for %d to %d\n", sms, kMinBlocks,
                 kMaxBlocks);
    return 1;
  }
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  size_t wordsLayer = words<kIfg>() + words<kO>() + words<kGu>() + words<kDown>();
  uint32_t *weights = alloc<uint32_t>(wordsLayer * kLayers);
  fillWords<<<1024, 256, 0, stream>>>(weights, wordsLayer * kLayers, 1);
  // Per layer: 10 vectors of H (wa wbi wbf wbg lb wgn wbo wm wgu, and wbd's first H) and wbd, then
  // the kinds' constants: 3 H (ifg), H (o), H (gu), I (down).
  size_t normFloats = size_t(9 * kH + kI + 5 * kH + kI);
  float *norms = alloc<float>(normFloats * (kLayers + 1));
  fillFloats<<<256, 256, 0, stream>>>(norms, normFloats * (kLayers + 1), 1.f, 0.5f, 2);
  float *hs = alloc<float>(size_t(kH) * (kLayers + 1));
  fillFloats<<<64, 256, 0, stream>>>(hs, size_t(kH) * (kLayers + 1), 0.f, 2.f, 3);
  float *states = alloc<float>(size_t(kH) * kLayers);
  CHECK(cudaMemsetAsync(states, 0, size_t(kH) * kLayers * sizeof(float), stream));
  float *us = alloc<float>(size_t(kH) * kLayers), *rs = alloc<float>(size_t(kH) * kLayers);
  float *u2s = alloc<float>(size_t(kI) * kLayers);
  float *pInit = alloc<float>(blocks * 5);
  fillFloats<<<4, 256, 0, stream>>>(pInit, blocks * 5, 1.f, 0.5f, 4);
  float *partials = alloc<float>(size_t(blocks) * (3 + 3 + 2 + 5) * kLayers);
  auto normsOf = [&](int l) {
    float *p = norms + normFloats * l;
    Norms n;
    n.wa = p; n.wbi = p + kH; n.wbf = p + 2 * kH; n.wbg = p + 3 * kH; n.lb = p + 4 * kH;
    n.wgn = p + 5 * kH; n.wbo = p + 6 * kH; n.wm = p + 7 * kH; n.wgu = p + 8 * kH;
    n.wbd = p + 9 * kH;
    n.ifgConsts = n.wbd + kI;
    n.oConsts = n.ifgConsts + 3 * kH;
    n.guConsts = n.oConsts + kH;
    n.downConsts = n.guConsts + kH;
    return n;
  };
  std::vector<Layer> layers(kLayers);
  float *part = partials;
  for (int l = 0; l < kLayers; ++l) {
    Layer &b = layers[l];
    const uint32_t *w = weights + wordsLayer * l;
    b.w[kIfg] = w;
    b.w[kO] = b.w[kIfg] + words<kIfg>();
    b.w[kGu] = b.w[kO] + words<kO>();
    b.w[kDown] = b.w[kGu] + words<kGu>();
    for (float &s : b.sw) s = 60.f;
    b.n = normsOf(l);
    b.next = normsOf(l + 1);
    b.h = hs + size_t(kH) * l;
    b.hOut = hs + size_t(kH) * (l + 1);
    b.state = states + size_t(kH) * l;
    b.u = us + size_t(kH) * l;
    b.r = rs + size_t(kH) * l;
    b.u2 = u2s + size_t(kI) * l;
    const int values[4] = {3, 3, 2, 5};
    for (int k = 0; k < 4; ++k) {
      b.p[k] = part;
      part += size_t(blocks) * values[k];
    }
    b.pIn = l ? layers[l - 1].p[kDown] : pInit;
    b.index = l;
  }
  unsigned long long *stampBuffer = nullptr;
  if (stamps) {
    stampBuffer = alloc<unsigned long long>(size_t(4) * blocks * kStages);
    CHECK(cudaMemset(stampBuffer, 0, size_t(4) * blocks * kStages * 8));
  }
  CHECK(cudaMemcpyToSymbol(gStamps, &stampBuffer, sizeof stampBuffer));
  const size_t smem[4] = {smemBytes<kIfg>(), smemBytes<kO>(), smemBytes<kGu>(),
                          smemBytes<kDown>()};
  void (*kernels[4])(Layer) = {layerKernel<kIfg>, layerKernel<kO>, layerKernel<kGu>,
                               layerKernel<kDown>};
  for (int k = 0; k < 4; ++k)
    CHECK(cudaFuncSetAttribute(kernels[k], cudaFuncAttributeMaxDynamicSharedMemorySize,
                               int(smem[k])));
  CHECK(cudaStreamSynchronize(stream));

  cudaGraph_t graph;
  CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
  int launched = 0;
  for (const Layer &b : layers) {
    for (int k = 0; k < 4; ++k) {
      bool dependent = !plain && launched++ > 0;
      launchKernel(stream, blocks, kThreads, smem[k], dependent, kernels[k], b);
    }
  }
  CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec;
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  float step = medianReplayMicros(exec, stream, 10, 50);
  if (stamps) {
    // The last replay's stamps of layer kStampLayer: per kernel and stage, the earliest and the
    // latest block, in us after the first kernel's earliest wait release.
    std::vector<unsigned long long> t(size_t(4) * blocks * kStages);
    CHECK(cudaMemcpy(t.data(), stampBuffer, t.size() * 8, cudaMemcpyDeviceToHost));
    unsigned long long zero = ~0ull;
    for (int b = 0; b < blocks; ++b) zero = std::min(zero, t[size_t(b) * kStages + 1]);
    const char *kinds[4] = {"ifg", "o", "gu", "down"};
    const char *stages[kStages] = {"start", "waited", "partials", "weights", "quantized",
                                   "products", "epilogue", "end"};
    std::printf("layer %d, us after the ifg kernel's first wait release: earliest..latest block "
                "(median)\n", kStampLayer);
    for (int k = 0; k < 4; ++k) {
      std::printf("%-5s", kinds[k]);
      for (int st = 0; st < kStages; ++st) {
        std::vector<double> v;
        for (int b = 0; b < blocks; ++b)
          v.push_back((double(t[(size_t(k) * blocks + b) * kStages + st]) - double(zero)) / 1e3);
        std::sort(v.begin(), v.end());
        std::printf("  %s %.2f..%.2f (%.2f)", stages[st], v.front(), v.back(), v[v.size() / 2]);
      }
      std::printf("\n");
    }
  }

  // The copy rate: a device-to-device copy of 1 GiB, median of 10.
  size_t copyBytes = size_t(1) << 30;
  char *src = alloc<char>(copyBytes), *dst = alloc<char>(copyBytes);
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  std::vector<float> copies;
  for (int rep = 0; rep < 12; ++rep) {
    CHECK(cudaEventRecord(start, stream));
    CHECK(cudaMemcpyAsync(dst, src, copyBytes, cudaMemcpyDeviceToDevice, stream));
    CHECK(cudaEventRecord(stop, stream));
    CHECK(cudaEventSynchronize(stop));
    float ms;
    CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (rep >= 2) copies.push_back(ms);
  }
  std::sort(copies.begin(), copies.end());
  double hbm = 2.0 * copyBytes / (copies[copies.size() / 2] * 1e-3) / 1e9;

  std::vector<float> hOut(kH);
  CHECK(cudaMemcpy(hOut.data(), hs + size_t(kH) * kLayers, kH * sizeof(float),
                   cudaMemcpyDeviceToHost));
  int finite = 0;
  for (float v : hOut) finite += std::isfinite(v);
  // The trits' bytes, unpadded (the down rows' last half round is padding).
  double bytes = double(kLayers) * (3.0 * kH * kH + kH * kH + 2.0 * kI * kH + kH * kI) / 4.0;
  double gbps = bytes / (step * 1e-6) / 1e9;
  std::printf("%s, skip %d, %d blocks: %d layers of 4 kernels, %.1f us a step (median of 50), "
              "%.2f us a layer; %.0f GB/s of trits, %.1f%% of the copy rate %.0f GB/s; "
              "finite %d of %d\n",
              plain ? "plain launches" : "dependent launch", skip, blocks, kLayers, step,
              step / kLayers, gbps, 100.0 * gbps / hbm, hbm, finite, kH);
  return finite == kH || skip ? 0 : 1;
}
