//===- OneWave.cpp - every block of a kernel resident at once -------------===//
//
// A kernel whose blocks do not all fit on the GPU at once runs a second,
// partial wave: its last blocks start only when earlier ones finish, which
// doubles the time of a short kernel. Asking the PTX compiler for enough
// blocks per multiprocessor (`.minnctapersm`) makes it budget the registers
// so that they all fit.
//
#include "backends/cuda/LaunchSites.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUONEWAVE
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// A multiprocessor holds at most this many threads, and a thread needs at least this many
/// registers to be worth a budget (65536 per multiprocessor).
constexpr int64_t kThreadsPerMultiprocessor = 2048;
constexpr int64_t kRegistersPerMultiprocessor = 65536;
constexpr int64_t kMinRegistersPerThread = 40;

/// In functions of few tokens a call, at least this many registers a thread: the tensor-core
/// kernel of batch decode needs up to about 140 (its loops for one token tile and for four), and
/// spills below 128.
constexpr int64_t kMinFewTokenRegistersPerThread = 128;

struct OneWavePass : mlir::tern::impl::TernGPUOneWaveBase<OneWavePass> {
  using TernGPUOneWaveBase::TernGPUOneWaveBase;

  void runOnOperation() override {
    if (multiprocessors < 1) {
      getOperation().emitError("tern-gpu-one-wave: multiprocessors must be at least 1");
      return signalPassFailure();
    }
    llvm::StringMap<tern::KernelLaunchSites> sites =
        tern::kernelLaunchSites(getOperation(), *fewTokenFunctions);
    for (gpu::GPUFuncOp kernel : getOperation().getOps<gpu::GPUFuncOp>()) {
      DenseI32ArrayAttr grid = kernel.getKnownGridSizeAttr();
      DenseI32ArrayAttr block = kernel.getKnownBlockSizeAttr();
      if (!kernel.isKernel() || !block)
        continue;
      int64_t blocks = 1, threads = 1, minRegisters = kMinRegistersPerThread;
      if (grid) {
        for (int32_t g : grid.asArrayRef())
          blocks *= g;
      } else if (auto site = sites.find(kernel.getName());
                 site != sites.end() && site->second.onlyFromFunctions && site->second.gridX) {
        // Launched only from few-token functions, always with the same constant grid x (a grid
        // along y then counts blocks of tokens: one row of them holds a batch of up to 32
        // sequences): its blocks along x for one row along y, with registers for the tensor-core
        // kernel's loops kept (fewer spill).
        blocks = *site->second.gridX;
        minRegisters = kMinFewTokenRegistersPerThread;
      } else {
        continue;
      }
      for (int32_t t : block.asArrayRef())
        threads *= t;
      // One block per multiprocessor needs no budget; blocks that cannot all fit by threads
      // alone, or with the registers a thread must keep, would only be starved of registers
      // (batch decode's gate/up product: 864 blocks of 128 threads, 7 a multiprocessor, lost 2
      // µs a layer at 128 registers).
      int64_t perMultiprocessor = (blocks + multiprocessors - 1) / multiprocessors;
      if (perMultiprocessor < 2 || perMultiprocessor * threads > kThreadsPerMultiprocessor ||
          kRegistersPerMultiprocessor / (perMultiprocessor * threads) < minRegisters)
        continue;
      kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      IntegerAttr::get(IntegerType::get(&getContext(), 32), perMultiprocessor));
    }
  }
};

} // namespace
