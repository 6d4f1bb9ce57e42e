// Decode-layout benchmark: the base3_tiled GEMV (base3_gemv.h, 1.6 bits per trit) against the
// production two_bit_tiled GEMVs (hand-written and Halide, runtime/kernels), over one decode step of
// the 1.3B shape, next to the machine's read ceiling measured in the same process
// (runtime/src/read_bandwidth.cpp); with them the runtime's base3_tiled kernel (avx512_vbmi) and the
// Halide 14 base3_tiled kernels (base3_halide.cpp), and the AVX2-only GEMVs of both layouts
// (base3_gemv_avx2.cpp) next to the production AVX2 one. Run by bench/layout/run.sh; results in
// docs/performance.md.
//
//   base3_gemv_bench [--steps 20] [--rounds 3] [--threads 1,2] [--check-only] [--gemm]
//
// --gemm instead times the prefill kernels (base3_tiled hand-written and Halide, two_bit_tiled
// Halide) on the 1.3B shapes, `rounds` times.
//
// First checks every kernel against a scalar reference on random shapes (odd N and K included),
// exactly. Then, per round and thread count: the read ceiling, then `steps` decode steps of each
// kernel interleaved (so drift of the machine's bandwidth hits all alike), median time per step.
// Finally the compute-bound rate of each kernel: one small matrix held in L2, repeated.
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <immintrin.h>

#include "base3_gemv.h"
#include "gemv_avx2.h"
#include "read_bandwidth.h"
#include "ternary_kernels.h"

namespace {

using tern::bench::Base3Avx2Decode;
using tern::bench::Base3Decode;

}  // namespace

namespace tern::bench {
// base3_gemv_halide.cpp: the Halide base3_tiled GEMVs (table lookup or subtract-min rounds).
void base3GemvHalide(const tern_ternary_args *a, int64_t rowBegin, int64_t rowEnd, bool table);
void base3GemmHalide(const tern_ternary_args *a, int64_t rowBegin, int64_t rowEnd);
}  // namespace tern::bench

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---- two_bit_tiled packing (as ternary_kernels.h defines it; checked against the generic kernel).
void packTwoBitTiled(const int8_t *trits, int64_t N, int64_t K, uint8_t *out) {
  const int64_t groups = (N + 15) / 16, chunks = (K + 15) / 16;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < chunks; ++c) {
      uint8_t *chunk = out + (g * chunks + c) * TERN_TILE_BYTES;
      for (int r = 0; r < 16; ++r)
        for (int i = 0; i < 4; ++i) {
          int byte = 0;
          for (int j = 0; j < 4; ++j) {
            const int64_t n = g * 16 + r, k = c * 16 + 4 * j + i;
            const int code = (n < N && k < K) ? trits[n * K + k] + 1 : 1;
            byte |= code << (2 * j);
          }
          chunk[4 * r + i] = uint8_t(byte);
        }
    }
}

// ---- The kernels under test, behind one signature.
struct Matrix {
  int64_t N, K;
  const uint8_t *w;  // packed in the kernel's layout
  const int8_t *x;
  int32_t xSum;
  int32_t *out;
};

enum class Layout { TwoBitTiled, Base3Tiled };

struct Kernel {
  const char *name;
  Layout layout;
  void (*run)(const Matrix &m, int64_t rowBegin, int64_t rowEnd);
};

tern_ternary_args argsOf(const Matrix &m, tern_trit_layout layout) {
  tern_ternary_args a{};
  a.x = m.x;
  a.x_stride = m.K;
  a.w = m.w;
  a.out = m.out;
  a.out_stride = m.N;
  a.T = 1;
  a.K = m.K;
  a.N = m.N;
  a.layout = layout;
  a.x_sums = &m.xSum;
  return a;
}

// base3_tiled through the runtime's kernel signature: the hand-written avx512_vbmi kernel, or the
// Halide ones (base3_gemv_halide.cpp).
void runBase3(tern_ternary_kernel k, const Matrix &m, int64_t rowBegin, int64_t rowEnd) {
  const tern_ternary_args a = argsOf(m, TERN_LAYOUT_BASE3_TILED);
  k(&a, rowBegin, rowEnd);
}

void runTwoBit(tern_ternary_kernel k, const Matrix &m, int64_t rowBegin, int64_t rowEnd) {
  const tern_ternary_args a = argsOf(m, TERN_LAYOUT_TWO_BIT_TILED);
  k(&a, rowBegin, rowEnd);
}

const Kernel kKernels[] = {
    {"two_bit_tiled / hand-written (avx512_vnni_intrinsics)", Layout::TwoBitTiled,
     [](const Matrix &m, int64_t b, int64_t e) { runTwoBit(ternary_gemv_x86_64_avx512_vnni, m, b, e); }},
    {"two_bit_tiled / Halide (avx512_vnni, production)", Layout::TwoBitTiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       runTwoBit(ternary_gemv_x86_64_avx512_vnni_halide, m, b, e);
     }},
    {"base3_tiled / two tables", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::base3GemvAvx512(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e, Base3Decode::TwoTables);
     }},
    {"base3_tiled / table + compares", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::base3GemvAvx512(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e,
                                    Base3Decode::TableAndCompares);
     }},
    {"base3_tiled / subtract-min + 1 table", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::base3GemvAvx512(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e,
                                    Base3Decode::SubtractMin);
     }},
    {"base3_tiled / hand-written (avx512_vbmi, production)", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) { runBase3(ternary_gemv_x86_64_avx512_vbmi, m, b, e); }},
    {"base3_tiled / Halide, subtract-min rounds, no table", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       const tern_ternary_args a = argsOf(m, TERN_LAYOUT_BASE3_TILED);
       tern::bench::base3GemvHalide(&a, b, e, /*table=*/false);
     }},
    {"base3_tiled / Halide, table lookup", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       const tern_ternary_args a = argsOf(m, TERN_LAYOUT_BASE3_TILED);
       tern::bench::base3GemvHalide(&a, b, e, /*table=*/true);
     }},
    // AVX2 only (base3_gemv_avx2.cpp): the production two_bit_tiled kernel, two_bit_tiled in the
    // base-3 kernels' loop, and the two base-3 decodes.
    {"two_bit_tiled / hand-written (avx2, production)", Layout::TwoBitTiled,
     [](const Matrix &m, int64_t b, int64_t e) { runTwoBit(ternary_gemv_x86_64_avx2, m, b, e); }},
    {"two_bit_tiled / avx2, in the base-3 kernels' loop", Layout::TwoBitTiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::twoBitGemvAvx2(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e);
     }},
    {"base3_tiled / avx2, subtract-min + pshufb", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::base3GemvAvx2(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e,
                                  Base3Avx2Decode::Shuffles);
     }},
    {"base3_tiled / avx2, vpmulhuw quotients + vpmaddwd", Layout::Base3Tiled,
     [](const Matrix &m, int64_t b, int64_t e) {
       tern::bench::base3GemvAvx2(m.w, m.x, m.xSum, m.out, m.N, m.K, b, e,
                                  Base3Avx2Decode::Multiplies);
     }},
};
constexpr int kKernelCount = sizeof(kKernels) / sizeof(kKernels[0]);

int64_t packedBytes(Layout l, int64_t N, int64_t K) {
  return l == Layout::TwoBitTiled ? tern_packed_bytes(TERN_LAYOUT_TWO_BIT_TILED, N, K)
                                  : tern::bench::base3TiledBytes(N, K);
}

void pack(Layout l, const int8_t *trits, int64_t N, int64_t K, uint8_t *out) {
  if (l == Layout::TwoBitTiled)
    packTwoBitTiled(trits, N, K, out);
  else
    tern::bench::packBase3Tiled(trits, N, K, out);
}

// Uniform random trits (-1, 0, +1) and int8 activations in [-127, 127].
void randomTrits(std::mt19937_64 &rng, int8_t *t, int64_t n) {
  int64_t i = 0;
  while (i < n) {
    uint64_t r = rng();
    for (int b = 0; b < 32 && i < n; ++b, r >>= 2)
      if ((r & 3) != 3) t[i++] = int8_t(int(r & 3) - 1);
  }
}
void randomActivations(std::mt19937_64 &rng, int8_t *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = int8_t(int(rng() % 255) - 127);
}

// ---- Exactness: every kernel against sum_k x[k] * t[n, k], whole and split at a group boundary.
bool checkKernels() {
  std::mt19937_64 rng(7);
  const int64_t shapes[][2] = {{1, 1},    {16, 20},  {17, 21},   {5, 19},    {33, 999},
                               {50, 2047}, {48, 40},  {7, 5633},  {64, 2048}, {2048, 2048},
                               {13, 5632}, {300, 77}, {16, 1},    {31, 41},   {47, 241},
                               {9, 260},   {16, 259}};
  bool ok = true;
  for (const auto &s : shapes) {
    const int64_t N = s[0], K = s[1];
    std::vector<int8_t> t(N * K), x(K);
    randomTrits(rng, t.data(), N * K);
    randomActivations(rng, x.data(), K);
    int32_t xSum = 0;
    for (int8_t v : x) xSum += v;
    std::vector<int32_t> want(N);
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += int32_t(x[k]) * t[n * K + k];
      want[n] = acc;
    }
    for (const Kernel &kernel : kKernels) {
      std::vector<uint8_t> w(packedBytes(kernel.layout, N, K));
      pack(kernel.layout, t.data(), N, K, w.data());
      {  // the packer against the production decode (the generic kernel)
        std::vector<int32_t> generic(N, 0);
        const Matrix g{N, K, w.data(), x.data(), xSum, generic.data()};
        if (kernel.layout == Layout::TwoBitTiled)
          runTwoBit(ternary_matmul_generic, g, 0, N);
        else
          runBase3(ternary_matmul_generic, g, 0, N);
        if (generic != want) {
          std::printf("FAIL %s packing N=%ld K=%ld\n",
                      kernel.layout == Layout::TwoBitTiled ? "two_bit_tiled" : "base3_tiled",
                      long(N), long(K));
          ok = false;
        }
      }
      std::vector<int32_t> got(N, 5);  // accumulated into: start from 5
      const Matrix m{N, K, w.data(), x.data(), xSum, got.data()};
      const int64_t split = (N / 2) / 16 * 16;
      kernel.run(m, 0, split);
      kernel.run(m, split, N);
      for (int64_t n = 0; n < N; ++n)
        if (got[n] != want[n] + 5) {
          std::printf("FAIL %s N=%ld K=%ld row %ld: %d, want %d\n", kernel.name, long(N), long(K),
                      long(n), got[n] - 5, want[n]);
          ok = false;
          break;
        }
    }
  }
  // Extremes: the int16 partial sums at their bound (every code 2 or 0, every x -128 or 127).
  for (const int8_t xv : {int8_t(-128), int8_t(127)})
    for (const int8_t tv : {int8_t(1), int8_t(-1)}) {
      const int64_t N = 32, K = 5632;
      std::vector<int8_t> t(N * K, tv), x(K, xv);
      const int32_t xSum = int32_t(xv) * int32_t(K), want = xSum * tv;
      for (const Kernel &kernel : kKernels) {
        std::vector<uint8_t> w(packedBytes(kernel.layout, N, K));
        pack(kernel.layout, t.data(), N, K, w.data());
        std::vector<int32_t> got(N, 0);
        kernel.run(Matrix{N, K, w.data(), x.data(), xSum, got.data()}, 0, N);
        if (got != std::vector<int32_t>(N, want)) {
          std::printf("FAIL %s extremes x=%d trit=%d: %d, want %d\n", kernel.name, xv, tv, got[0],
                      want);
          ok = false;
        }
      }
    }
  std::printf("exactness: %s (%d kernels x %zu shapes, odd N and K included, and extremes)\n",
              ok ? "all equal to the scalar reference" : "MISMATCH", kKernelCount,
              sizeof(shapes) / sizeof(shapes[0]));
  return ok;
}

// ---- A fork-join pool: each matrix's row groups are split into 2 tasks per thread, taken from an
// atomic counter (as runtime/src/thread_pool.cpp does); the workers spin between matrices.
class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
  }
  ~Pool() {
    quit_.store(true);
    generation_.fetch_add(1);
    for (auto &w : workers_) w.join();
  }
  void run(const Kernel *kernel, const Matrix *m) {
    kernel_ = kernel;
    matrix_ = m;
    const int64_t groups = (m->N + 15) / 16;
    tasks_ = std::min<int64_t>(groups, 2 * threads_);
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    work();
    while (done_.load(std::memory_order_acquire) != threads_ - 1) _mm_pause();
  }

 private:
  void work() {
    const int64_t groups = (matrix_->N + 15) / 16;
    for (;;) {
      const int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= tasks_) return;
      const int64_t g0 = groups * t / tasks_, g1 = groups * (t + 1) / tasks_;
      kernel_->run(*matrix_, g0 * 16, std::min(g1 * 16, matrix_->N));
    }
  }
  void workerLoop() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      int spins = 0;
      while ((g = generation_.load(std::memory_order_acquire)) == seen)
        if (++spins % 4096 == 0) std::this_thread::yield(); else _mm_pause();
      seen = g;
      if (quit_.load()) return;
      work();
      done_.fetch_add(1, std::memory_order_release);
    }
  }
  const int threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> quit_{false};
  const Kernel *kernel_ = nullptr;
  const Matrix *matrix_ = nullptr;
  int64_t tasks_ = 0;
};

// ---- The workload: one decode step of the 1.3B shape, matrices in the order they run.
struct Shape {
  int64_t N, K;
};
std::vector<Shape> decodeStepShapes() {
  std::vector<Shape> s;
  for (int layer = 0; layer < 24; ++layer) {
    for (int i = 0; i < 4; ++i) s.push_back({2048, 2048});  // MLGRU gates and output
    s.push_back({11264, 2048});                             // GLU up (gate and value)
    s.push_back({2048, 5632});                              // GLU down
  }
  s.push_back({32000, 2048});  // lm_head
  return s;
}

// One mapping per layout holding every matrix back to back, 2 MiB-aligned and asking for
// transparent huge pages, as the runtime maps an artifact's weights.
struct Arena {
  uint8_t *base = nullptr;
  size_t bytes = 0, mapped = 0;
  void *raw = nullptr;
  explicit Arena(size_t n) {
    constexpr size_t kHuge = size_t(2) << 20;
    bytes = (n + kHuge - 1) / kHuge * kHuge;
    mapped = bytes + kHuge;
    raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
      std::perror("mmap");
      std::exit(1);
    }
    base = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
    madvise(base, bytes, MADV_HUGEPAGE);
  }
  ~Arena() { munmap(raw, mapped); }
};

struct Model {
  std::vector<Shape> shapes;
  std::vector<int8_t> x2048, x5632;
  int32_t sum2048 = 0, sum5632 = 0;
  std::vector<int32_t> out;  // one buffer of the largest N, shared (outputs are not read)
  Arena *arena[2] = {nullptr, nullptr};
  std::vector<Matrix> matrices[2];  // per layout
  int64_t bytes[2] = {0, 0};
  int64_t trits = 0;
};

void buildModel(Model &model) {
  std::mt19937_64 rng(11);
  model.shapes = decodeStepShapes();
  model.x2048.resize(2048);
  model.x5632.resize(5632);
  randomActivations(rng, model.x2048.data(), 2048);
  randomActivations(rng, model.x5632.data(), 5632);
  for (int8_t v : model.x2048) model.sum2048 += v;
  for (int8_t v : model.x5632) model.sum5632 += v;
  model.out.assign(32000, 0);
  std::vector<int64_t> offsets[2];
  for (int l = 0; l < 2; ++l) {
    int64_t at = 0;
    for (const Shape &s : model.shapes) {
      offsets[l].push_back(at);
      at += (packedBytes(Layout(l), s.N, s.K) + 63) / 64 * 64;
    }
    model.bytes[l] = at;
    model.arena[l] = new Arena(size_t(at));
  }
  std::vector<int8_t> t;
  for (size_t i = 0; i < model.shapes.size(); ++i) {
    const Shape &s = model.shapes[i];
    t.resize(s.N * s.K);
    randomTrits(rng, t.data(), s.N * s.K);
    model.trits += s.N * s.K;
    const bool wide = s.K == 5632;
    for (int l = 0; l < 2; ++l) {
      uint8_t *w = model.arena[l]->base + offsets[l][i];
      pack(Layout(l), t.data(), s.N, s.K, w);
      model.matrices[l].push_back(Matrix{s.N, s.K, w, wide ? model.x5632.data() : model.x2048.data(),
                                         wide ? model.sum5632 : model.sum2048, model.out.data()});
    }
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// ---- Decode steps at `threads` threads, all kernels interleaved step by step; prints one line per
// kernel with the read ceiling measured just before.
void decodeRound(Model &model, int threads, int steps, int round) {
  const tern::ReadBandwidth ceiling = tern::measureReadBandwidth(threads);
  std::string best;
  for (const auto &r : ceiling.readers)
    if (r.gbps == ceiling.best) best = r.name;
  Pool pool(threads);
  std::vector<double> times[kKernelCount];
  for (int step = -2; step < steps; ++step)  // 2 warm-up steps
    for (int k = 0; k < kKernelCount; ++k) {
      const Kernel &kernel = kKernels[k];
      const auto &ms = model.matrices[int(kernel.layout)];
      const auto t0 = Clock::now();
      for (const Matrix &m : ms) pool.run(&kernel, &m);
      const double s = secondsSince(t0);
      if (step >= 0) times[k].push_back(s);
    }
  std::printf("\nround %d, %d thread(s): read ceiling %.1f GB/s (%s)\n", round, threads, ceiling.best,
              best.c_str());
  std::printf("  %-55s %9s %8s %7s %9s %6s %9s\n", "kernel", "ms/step", "MB/step", "GB/s",
              "Gtrit/s", "ratio", "steps/s");
  for (int k = 0; k < kKernelCount; ++k) {
    const double s = median(times[k]);
    const double bytes = double(model.bytes[int(kKernels[k].layout)]);
    std::printf("  %-55s %9.3f %8.1f %7.1f %9.1f %6.3f %9.1f\n", kKernels[k].name, s * 1e3,
                bytes / 1e6, bytes / s / 1e9, double(model.trits) / s / 1e9,
                bytes / s / 1e9 / ceiling.best, 1 / s);
  }
  std::fflush(stdout);
}

// ---- Compute-bound rate: one [N, K] matrix small enough for L2, repeated, 1 thread, best of 5.
void computeBoundRates() {
  const int64_t N = 256, K = 2048;  // 2-bit: 128 KiB, base-3: 105 KiB; L2 is 1 MiB per core
  std::mt19937_64 rng(3);
  std::vector<int8_t> t(N * K), x(K);
  randomTrits(rng, t.data(), N * K);
  randomActivations(rng, x.data(), K);
  int32_t xSum = 0;
  for (int8_t v : x) xSum += v;
  std::vector<int32_t> out(N, 0);
  std::printf("\ncompute-bound rate, weights in L2 ([%ld, %ld] repeated), 1 thread, best of 5:\n",
              long(N), long(K));
  for (const Kernel &kernel : kKernels) {
    std::vector<uint8_t, std::allocator<uint8_t>> w(packedBytes(kernel.layout, N, K) + 64);
    uint8_t *aligned = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(w.data()) + 63) & ~uintptr_t(63));
    pack(kernel.layout, t.data(), N, K, aligned);
    const Matrix m{N, K, aligned, x.data(), xSum, out.data()};
    const int reps = 4000;
    double best = 1e30;
    for (int trial = 0; trial < 5; ++trial) {
      const auto t0 = Clock::now();
      for (int r = 0; r < reps; ++r) kernel.run(m, 0, N);
      best = std::min(best, secondsSince(t0) / reps);
    }
    const double bytes = double(packedBytes(kernel.layout, N, K));
    std::printf("  %-55s %7.1f GB/s of weights %7.1f Gtrit/s\n", kernel.name, bytes / best / 1e9,
                double(N * K) / best / 1e9);
  }
  std::fflush(stdout);
}

// ---- Prefill (gemm), --gemm: the base3_tiled gemms, hand-written and Halide, and the production
// two_bit_tiled gemm (Halide) for comparison; first exactness against the generic kernel on odd
// shapes, then GMAC/s (int8 x trit multiply-accumulates) on the 1.3B shapes, 1 thread, best of 4.
struct GemmKernel {
  const char *name;
  Layout layout;
  tern_ternary_kernel run;
};
const GemmKernel kGemmKernels[] = {
    {"two_bit_tiled / Halide (avx512_vnni, production)", Layout::TwoBitTiled,
     ternary_gemm_x86_64_avx512_vnni_halide},
    {"base3_tiled / hand-written (avx512_vbmi, production)", Layout::Base3Tiled,
     ternary_gemm_x86_64_avx512_vbmi},
    {"base3_tiled / Halide, subtract-min rounds + compares", Layout::Base3Tiled,
     [](const tern_ternary_args *a, int64_t b, int64_t e) { tern::bench::base3GemmHalide(a, b, e); }},
};

tern_ternary_args gemmArgs(Layout l, const int8_t *x, const uint8_t *w, int32_t *out, int64_t T,
                           int64_t K, int64_t N) {
  tern_ternary_args a{};
  a.x = x;
  a.x_stride = K;
  a.w = w;
  a.out = out;
  a.out_stride = N;
  a.T = T;
  a.K = K;
  a.N = N;
  a.layout = l == Layout::TwoBitTiled ? TERN_LAYOUT_TWO_BIT_TILED : TERN_LAYOUT_BASE3_TILED;
  return a;
}

bool checkGemms() {
  std::mt19937_64 rng(9);
  const int64_t shapes[][3] = {{1, 20, 16},  {3, 21, 17},   {17, 999, 33}, {16, 2048, 64},
                               {33, 41, 31}, {5, 5633, 48}, {40, 77, 300}, {2, 1, 16}};
  bool ok = true;
  for (const auto &s : shapes) {
    const int64_t T = s[0], K = s[1], N = s[2];
    std::vector<int8_t> t(N * K), x(T * K);
    randomTrits(rng, t.data(), N * K);
    randomActivations(rng, x.data(), T * K);
    for (const GemmKernel &k : kGemmKernels) {
      std::vector<uint8_t> w(packedBytes(k.layout, N, K));
      pack(k.layout, t.data(), N, K, w.data());
      std::vector<int32_t> want(T * N, 5), got(T * N, 5);
      tern_ternary_args g = gemmArgs(k.layout, x.data(), w.data(), want.data(), T, K, N);
      ternary_matmul_generic(&g, 0, N);
      tern_ternary_args a = gemmArgs(k.layout, x.data(), w.data(), got.data(), T, K, N);
      const int64_t split = (N / 2) / 16 * 16;
      k.run(&a, 0, split);
      k.run(&a, split, N);
      if (got != want) {
        std::printf("FAIL %s T=%ld K=%ld N=%ld\n", k.name, long(T), long(K), long(N));
        ok = false;
      }
    }
  }
  std::printf("gemm exactness: %s (%zu kernels x %zu shapes, odd T, N and K included)\n",
              ok ? "all equal to the generic kernel" : "MISMATCH",
              sizeof(kGemmKernels) / sizeof(kGemmKernels[0]), sizeof(shapes) / sizeof(shapes[0]));
  return ok;
}

void gemmRates() {
  const int64_t shapes[][3] = {{512, 2048, 2048}, {512, 5632, 2048}, {512, 2048, 11264},
                               {128, 2048, 11264}};
  std::mt19937_64 rng(4);
  std::printf("\ngemm, 1 thread, GMAC/s, best of 4:\n  %-55s", "kernel \\ T x K x N");
  for (const auto &s : shapes) std::printf(" %17s", (std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2])).c_str());
  std::printf("\n");
  std::vector<std::vector<double>> rates(sizeof(kGemmKernels) / sizeof(kGemmKernels[0]));
  for (const auto &s : shapes) {
    const int64_t T = s[0], K = s[1], N = s[2];
    std::vector<int8_t> t(N * K), x(T * K);
    randomTrits(rng, t.data(), N * K);
    randomActivations(rng, x.data(), T * K);
    std::vector<int32_t> out(T * N);
    std::vector<int32_t> sums(T, 0);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t k = 0; k < K; ++k) sums[i] += x[i * K + k];
    size_t ki = 0;
    for (const GemmKernel &k : kGemmKernels) {
      std::vector<uint8_t> w(packedBytes(k.layout, N, K));
      pack(k.layout, t.data(), N, K, w.data());
      tern_ternary_args a = gemmArgs(k.layout, x.data(), w.data(), out.data(), T, K, N);
      a.x_sums = sums.data();
      double best = 1e30;
      for (int trial = 0; trial < 4; ++trial) {
        const auto t0 = Clock::now();
        k.run(&a, 0, N);
        best = std::min(best, secondsSince(t0));
      }
      rates[ki++].push_back(double(T) * K * N / best / 1e9);
    }
  }
  for (size_t ki = 0; ki < rates.size(); ++ki) {
    std::printf("  %-55s", kGemmKernels[ki].name);
    for (double r : rates[ki]) std::printf(" %17.0f", r);
    std::printf("\n");
  }
  std::fflush(stdout);
}

std::vector<int> parseThreads(const char *s) {
  std::vector<int> v;
  for (const char *p = s; *p;) {
    v.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return v;
}

}  // namespace

int main(int argc, char **argv) {
  int steps = 20, rounds = 3;
  std::vector<int> threads = {1, 2};
  bool checkOnly = false, gemmOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = parseThreads(argv[++i]);
    else if (a == "--check-only") checkOnly = true;
    else if (a == "--gemm") gemmOnly = true;
    else {
      std::fprintf(stderr, "usage: %s [--steps N] [--rounds N] [--threads 1,2] [--check-only] [--gemm]\n", argv[0]);
      return 2;
    }
  }
  if (!checkKernels() || !checkGemms()) return 1;
  if (checkOnly) return 0;
  if (gemmOnly) {
    for (int round = 0; round < rounds; ++round) gemmRates();
    return 0;
  }
  computeBoundRates();
  Model model;
  const auto t0 = Clock::now();
  buildModel(model);
  std::printf("\nworkload: one 1.3B decode step = %zu matrices, %.3f G trits; two_bit_tiled %.1f MB, "
              "base3_tiled %.1f MB (%.2f and %.2f bits/trit); packed in %.1f s\n",
              model.shapes.size(), double(model.trits) / 1e9, model.bytes[0] / 1e6,
              model.bytes[1] / 1e6, 8.0 * model.bytes[0] / model.trits,
              8.0 * model.bytes[1] / model.trits, secondsSince(t0));
  if (FILE *f = std::fopen("/proc/self/smaps_rollup", "r")) {  // are the weights on huge pages?
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "AnonHugePages:", 14) == 0) std::printf("%s", line);
    std::fclose(f);
  }
  for (int round = 1; round <= rounds; ++round)
    for (int n : threads) decodeRound(model, n, steps, round);
  computeBoundRates();
  delete model.arena[0];
  delete model.arena[1];
  return 0;
}
