// Which microkernel runs, on how many threads, and how generated code reaches it.
//
// Generated code calls a kernel through a function-pointer slot it defines: for each kernel NAME it
// uses, the shared object has a pointer variable `__tern_kernel_NAME`, and one `__tern_kernel_context`
// passed back as the first argument (backends/cpu/BindKernels.cpp makes them). After dlopen the runtime
// stores its entry point for NAME and the model's KernelContext there (Model::open). The artifact's
// manifest lists the names (`kernels`), so an artifact that needs a kernel this runtime lacks is
// refused at load. Entry points take MLIR memref descriptors (x [T, K] i8, packed weights i8,
// out [T, N] i32, accumulated into), the C interface of `func.call`s made by convert-linalg-to-std.
#ifndef TERN_RUNTIME_KERNEL_DISPATCH_H
#define TERN_RUNTIME_KERNEL_DISPATCH_H

#include <memory>
#include <string>
#include <vector>

#include "ternary_kernels.h"
#include "thread_pool.h"

namespace tern {

// An instruction set's kernels for one tiled layout: gemv for one token (decode), gemm for any
// number (prefill). Null: this ISA runs the layout with the generic kernel.
struct TiledKernels {
  tern_ternary_kernel gemv;
  tern_ternary_kernel gemm;
};

// One instruction set's kernels for the tiled layouts (the row-major layouts always run the
// generic kernel).
struct KernelIsa {
  const char *name;  // "generic", "avx2", "avx512_vnni", "avx512_vbmi", "arm_dotprod", ...
  TiledKernels twoBitTiled;
  TiledKernels base3Tiled;  // only where the CPU has AVX-512 VBMI (ternary_kernels.h)
  bool (*supportedByCpu)();

  // The SIMD kernel this ISA runs for `layout` and T tokens, or nullptr: the generic kernel.
  tern_ternary_kernel kernelFor(tern_trit_layout layout, int64_t T) const;
};

// The ISAs built into this runtime, best first; the last one is "generic".
const std::vector<KernelIsa> &kernelIsas();
// The best ISA this CPU supports.
const KernelIsa &bestKernelIsa();
// Whether some ISA that this build has and this CPU supports has SIMD kernels for `layout`
// (base3_tiled needs AVX-512 VBMI; elsewhere it runs the generic kernel).
bool cpuHasSimdKernelsFor(tern_trit_layout layout);
// The ISA named `name` if it is built in and this CPU supports it; otherwise nullptr and *error says
// which names are possible here.
const KernelIsa *findKernelIsa(const std::string &name, std::string *error);

// Per model: the chosen ISA and the thread pool its kernel calls split rows over.
class KernelContext {
 public:
  // The best ISA and one thread per available CPU.
  KernelContext();
  // The same, unless the environment says otherwise (TERN_ISA=name, TERN_THREADS=n: how tern-run's
  // --isa and --threads reach every mode). nullptr, and *error says why, when TERN_ISA names an ISA
  // this build or CPU lacks, or TERN_THREADS is not a number >= 0.
  static std::unique_ptr<KernelContext> fromEnvironment(std::string *error);
  const KernelIsa &isa() const { return *isa_; }
  int threads() const { return pool_ ? pool_->threads() : 1; }
  bool setIsa(const std::string &name, std::string *error);
  void setThreads(int threads);  // 0: one per available CPU

  // out += x . w^T with the chosen ISA's kernel, rows split over the threads when the call is big
  // enough to gain from it.
  void ternaryMatmul(const tern_ternary_args &args) const;

 private:
  const KernelIsa *isa_;
  std::unique_ptr<ThreadPool> pool_;
};

// Symbol names in the generated code.
inline constexpr const char *kKernelSlotPrefix = "__tern_kernel_";
inline constexpr const char *kKernelContextSlot = "__tern_kernel_context";

// The entry point generated code reaches for kernel `name` (e.g. "ternary_matmul_two_bit_tiled"), or
// nullptr if this runtime has no such kernel.
void *generatedCodeKernel(const std::string &name);
// Every kernel name generatedCodeKernel knows, for error messages.
std::string generatedCodeKernelNames();

}  // namespace tern

#endif  // TERN_RUNTIME_KERNEL_DISPATCH_H
