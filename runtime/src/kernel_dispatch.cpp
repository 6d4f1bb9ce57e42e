#include "kernel_dispatch.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "memref_abi.h"
#include "row_kernels.h"

#if defined(TERN_KERNELS_ARM_64)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace tern {
namespace {

bool always() { return true; }

#if defined(TERN_KERNELS_X86_64)
bool cpuHasAvx2() { return __builtin_cpu_supports("avx2"); }
bool cpuHasAvx512Vnni() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}
bool cpuHasAvx512Vbmi() { return cpuHasAvx512Vnni() && __builtin_cpu_supports("avx512vbmi"); }
#endif
#if defined(TERN_KERNELS_ARM_64)
bool cpuHasDotprod() { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }
#endif

// Below this many weight bytes times tokens a call runs on one thread: the fork and join would
// cost more than the split saves.
constexpr int64_t kParallelMinWork = 64 * 1024;

// Tasks per thread of a parallel kernel call: the caller takes over the tasks of a worker that the
// OS has descheduled, and more than one task per thread keeps that cheap; each task is one
// sequential run of whole row tiles.
constexpr int64_t kTasksPerThread = 2;
// Up to this many tokens, a parallel call sums each token's activations once, on the stack.
constexpr int64_t kMaxSharedSums = 1024;

struct MatmulJob {
  const tern_ternary_args *args;
  tern_ternary_kernel kernel;
  int64_t unit;   // rows per indivisible unit (a tile of 16 rows in the tiled layout)
  int64_t units;  // units covering N
  int64_t tasks;
};

void runMatmulTask(void *context, int64_t task) {
  const MatmulJob &job = *static_cast<const MatmulJob *>(context);
  const int64_t begin = job.units * task / job.tasks, end = job.units * (task + 1) / job.tasks;
  if (begin < end)
    job.kernel(job.args, begin * job.unit, std::min(end * job.unit, job.args->N));
}

const char *envOr(const char *name) {
  const char *value = std::getenv(name);
  return value && *value ? value : nullptr;
}

// An artifact packed for a CPU with the layout's SIMD kernels (base3_tiled: AVX-512 VBMI) still
// runs elsewhere, exactly, on the generic kernel, many times slower: say so once per process.
void warnIfGenericOnThisCpu(tern_trit_layout layout) {
  static std::once_flag once;
  std::call_once(once, [layout] {
    if (cpuHasSimdKernelsFor(layout)) return;
    std::fprintf(stderr,
                 "tern runtime: warning: this model's weights are %s, whose fast kernels need "
                 "AVX-512 VBMI + VNNI, which this CPU or build lacks; the generic kernel runs them "
                 "(exact, much slower). Compile for this CPU with --target host, or with "
                 "--packing two_bit_tiled.\n",
                 layout == TERN_LAYOUT_BASE3_TILED ? "base3_tiled" : "tiled");
  });
}

// Generated code's entry for one layout: the memref descriptors of x [T, K] i8, the packed weights
// (i8) and out [T, N] i32, as convert-linalg-to-std passes them (any offset and strides; rows must
// be contiguous, which bufferization guarantees for these buffers).
template <tern_trit_layout Layout>
void ternaryMatmulEntry(const KernelContext *context, MemRefDescriptor<int8_t, 2> *x,
                        MemRefDescriptor<int8_t, 2> *w, MemRefDescriptor<int32_t, 2> *out) {
  if (x->strides[1] != 1 || out->strides[1] != 1 ||
      (w->sizes[0] > 1 && w->strides[0] != w->sizes[1]) || w->strides[1] != 1) {
    std::fprintf(stderr, "tern runtime: ternary_matmul called with non-contiguous rows\n");
    std::abort();
  }
  tern_ternary_args args{};  // x_sums: none
  args.x = x->aligned + x->offset;
  args.x_stride = x->strides[0];
  args.w = reinterpret_cast<const uint8_t *>(w->aligned + w->offset);
  args.out = out->aligned + out->offset;
  args.out_stride = out->strides[0];
  args.T = x->sizes[0];
  args.K = x->sizes[1];
  args.N = out->sizes[1];
  args.layout = Layout;
  if (Layout == TERN_LAYOUT_BASE3_TILED) warnIfGenericOnThisCpu(Layout);
  context->ternaryMatmul(args);
}

// Generated code's entry for an RMS norm's sum of squares: x [T, H] f32, out [T] f32 (accumulated
// into), summed in the reference's order (row_kernels.h). On the calling thread: a decode step has
// one row, and the rows of a prefill cost little next to its matrix products.
void rowSumOfSquaresEntry(const KernelContext *, MemRefDescriptor<float, 2> *x,
                          MemRefDescriptor<float, 1> *out) {
  if (x->strides[1] != 1) {
    std::fprintf(stderr, "tern runtime: row_sum_of_squares called with non-contiguous rows\n");
    std::abort();
  }
  row_sum_of_squares_generic(x->aligned + x->offset, x->sizes[0], x->sizes[1], x->strides[0],
                             out->aligned + out->offset, out->strides[0]);
}

struct GeneratedKernel {
  const char *name;
  void *entry;
};

const GeneratedKernel kGeneratedKernels[] = {
    {"ternary_matmul_none", reinterpret_cast<void *>(&ternaryMatmulEntry<TERN_LAYOUT_NONE>)},
    {"ternary_matmul_two_bit", reinterpret_cast<void *>(&ternaryMatmulEntry<TERN_LAYOUT_TWO_BIT>)},
    {"ternary_matmul_base3", reinterpret_cast<void *>(&ternaryMatmulEntry<TERN_LAYOUT_BASE3>)},
    {"ternary_matmul_two_bit_tiled",
     reinterpret_cast<void *>(&ternaryMatmulEntry<TERN_LAYOUT_TWO_BIT_TILED>)},
    {"ternary_matmul_base3_tiled",
     reinterpret_cast<void *>(&ternaryMatmulEntry<TERN_LAYOUT_BASE3_TILED>)},
    {"row_sum_of_squares_f32", reinterpret_cast<void *>(&rowSumOfSquaresEntry)},
};

}  // namespace

const std::vector<KernelIsa> &kernelIsas() {
  static const std::vector<KernelIsa> isas = {
#if defined(TERN_KERNELS_X86_64) && defined(TERN_KERNELS_HALIDE)
      // Halide's schedules match the hand-written gemv and beat its gemm (docs/performance.md).
      // avx512_vbmi: the same two_bit_tiled kernels, and base3_tiled's (VBMI decodes the digits).
      {"avx512_vbmi",
       {ternary_gemv_x86_64_avx512_vnni_halide, ternary_gemm_x86_64_avx512_vnni_halide},
       {ternary_gemv_x86_64_avx512_vbmi, ternary_gemm_x86_64_avx512_vbmi},
       cpuHasAvx512Vbmi},
      {"avx512_vnni",
       {ternary_gemv_x86_64_avx512_vnni_halide, ternary_gemm_x86_64_avx512_vnni_halide},
       {nullptr, nullptr},
       cpuHasAvx512Vnni},
      {"avx512_vnni_intrinsics",
       {ternary_gemv_x86_64_avx512_vnni, ternary_gemm_x86_64_avx512_vnni},
       {nullptr, nullptr},
       cpuHasAvx512Vnni},
#elif defined(TERN_KERNELS_X86_64)
      {"avx512_vbmi",
       {ternary_gemv_x86_64_avx512_vnni, ternary_gemm_x86_64_avx512_vnni},
       {ternary_gemv_x86_64_avx512_vbmi, ternary_gemm_x86_64_avx512_vbmi},
       cpuHasAvx512Vbmi},
      {"avx512_vnni",
       {ternary_gemv_x86_64_avx512_vnni, ternary_gemm_x86_64_avx512_vnni},
       {nullptr, nullptr},
       cpuHasAvx512Vnni},
#endif
#if defined(TERN_KERNELS_X86_64)
      {"avx2", {ternary_gemv_x86_64_avx2, ternary_gemm_x86_64_avx2}, {nullptr, nullptr},
       cpuHasAvx2},
#endif
#if defined(TERN_KERNELS_ARM_64)
      {"arm_dotprod", {ternary_gemv_arm_64_dotprod, ternary_gemm_arm_64_dotprod},
       {nullptr, nullptr}, cpuHasDotprod},
#endif
#if defined(TERN_KERNELS_ARM_64) && defined(TERN_KERNELS_HALIDE)
      // Halide's, tested exactly under qemu but not yet timed on AArch64 hardware, so after the
      // hand-written default (docs/performance.md, "Halide or hand-written").
      {"arm_dotprod_halide",
       {ternary_gemv_arm_64_dotprod_halide, ternary_gemm_arm_64_dotprod_halide},
       {nullptr, nullptr}, cpuHasDotprod},
#endif
      {"generic", {ternary_matmul_generic, ternary_matmul_generic},
       {ternary_matmul_generic, ternary_matmul_generic}, always},
  };
  return isas;
}

tern_ternary_kernel KernelIsa::kernelFor(tern_trit_layout layout, int64_t T) const {
  const TiledKernels *kernels = layout == TERN_LAYOUT_TWO_BIT_TILED ? &twoBitTiled
                                : layout == TERN_LAYOUT_BASE3_TILED ? &base3Tiled
                                                                    : nullptr;
  if (!kernels || kernels->gemv == ternary_matmul_generic) return nullptr;
  return T == 1 ? kernels->gemv : kernels->gemm;
}

bool cpuHasSimdKernelsFor(tern_trit_layout layout) {
  for (const KernelIsa &isa : kernelIsas())
    if (isa.supportedByCpu() && isa.kernelFor(layout, 1)) return true;
  return false;
}

const KernelIsa &bestKernelIsa() {
  for (const KernelIsa &isa : kernelIsas())
    if (isa.supportedByCpu()) return isa;
  return kernelIsas().back();
}

const KernelIsa *findKernelIsa(const std::string &name, std::string *error) {
  std::string usable;
  for (const KernelIsa &isa : kernelIsas()) {
    if (!isa.supportedByCpu()) continue;
    if (name == isa.name) return &isa;
    usable += (usable.empty() ? "" : ", ") + std::string(isa.name);
  }
  *error = "unknown or unsupported kernel ISA \"" + name + "\" (this CPU and build: " + usable + ")";
  return nullptr;
}

KernelContext::KernelContext() : isa_(&bestKernelIsa()) { setThreads(0); }

std::unique_ptr<KernelContext> KernelContext::fromEnvironment(std::string *error) {
  auto context = std::make_unique<KernelContext>();
  if (const char *name = envOr("TERN_ISA"))
    if (!context->setIsa(name, error)) return nullptr;
  if (const char *text = envOr("TERN_THREADS")) {
    char *end = nullptr;
    long threads = std::strtol(text, &end, 10);
    if (*end != '\0' || threads < 0 || threads > 4096) {
      *error = std::string("TERN_THREADS must be a number of threads (0 = one per CPU), not \"") +
               text + "\"";
      return nullptr;
    }
    context->setThreads(static_cast<int>(threads));
  }
  return context;
}

bool KernelContext::setIsa(const std::string &name, std::string *error) {
  const KernelIsa *isa = findKernelIsa(name, error);
  if (isa) isa_ = isa;
  return isa != nullptr;
}

void KernelContext::setThreads(int threads) {
  if (threads <= 0) threads = ThreadPool::availableCpus();
  if (threads == this->threads() && (pool_ || threads == 1)) return;
  pool_ = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
}

void KernelContext::ternaryMatmul(const tern_ternary_args &args) const {
  if (args.T <= 0 || args.N <= 0 || args.K <= 0) return;
  const tern_ternary_kernel simd =
      args.K <= TERN_SIMD_MAX_K ? isa_->kernelFor(args.layout, args.T) : nullptr;
  const bool tiled = args.layout == TERN_LAYOUT_TWO_BIT_TILED ||
                     args.layout == TERN_LAYOUT_BASE3_TILED;
  MatmulJob job;
  job.args = &args;
  job.kernel = simd ? simd : ternary_matmul_generic;
  job.unit = tiled ? TERN_TILE_ROWS : 1;
  job.units = (args.N + job.unit - 1) / job.unit;
  const int64_t work = tern_packed_bytes(args.layout, args.N, args.K) * args.T;
  if (!pool_ || work < kParallelMinWork || job.units < 2) {
    job.kernel(&args, 0, args.N);
    return;
  }
  job.tasks = std::min<int64_t>(job.units, kTasksPerThread * pool_->threads());
  // The row sums of x, once for every task (the SIMD kernels would each compute them).
  if (simd && !args.x_sums && args.T <= kMaxSharedSums) {
    int32_t sums[kMaxSharedSums];
    for (int64_t t = 0; t < args.T; ++t) {
      const int8_t *x = args.x + t * args.x_stride;
      int32_t sum = 0;
      for (int64_t k = 0; k < args.K; ++k) sum += x[k];
      sums[t] = sum;
    }
    tern_ternary_args withSums = args;
    withSums.x_sums = sums;
    job.args = &withSums;
    pool_->run(job.tasks, runMatmulTask, &job);
    return;
  }
  pool_->run(job.tasks, runMatmulTask, &job);
}

void *generatedCodeKernel(const std::string &name) {
  for (const GeneratedKernel &kernel : kGeneratedKernels)
    if (name == kernel.name) return kernel.entry;
  return nullptr;
}

std::string generatedCodeKernelNames() {
  std::string names;
  for (const GeneratedKernel &kernel : kGeneratedKernels)
    names += (names.empty() ? "" : ", ") + std::string(kernel.name);
  return names;
}

}  // namespace tern
