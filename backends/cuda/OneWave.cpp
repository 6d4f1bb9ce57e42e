//===- OneWave.cpp - every block of a kernel resident at once -------------===//
//
// A kernel whose blocks do not all fit on the GPU at once runs a second,
// partial wave: its last blocks start only when earlier ones finish, which
// doubles the time of a short kernel. Asking the PTX compiler for enough
// blocks per multiprocessor (`.minnctapersm`) makes it budget the registers
// so that they all fit.
//
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

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

struct OneWavePass : mlir::tern::impl::TernGPUOneWaveBase<OneWavePass> {
  using TernGPUOneWaveBase::TernGPUOneWaveBase;

  void runOnOperation() override {
    if (multiprocessors < 1) {
      getOperation().emitError("tern-gpu-one-wave: multiprocessors must be at least 1");
      return signalPassFailure();
    }
    for (gpu::GPUFuncOp kernel : getOperation().getOps<gpu::GPUFuncOp>()) {
      DenseI32ArrayAttr grid = kernel.getKnownGridSizeAttr();
      DenseI32ArrayAttr block = kernel.getKnownBlockSizeAttr();
      if (!kernel.isKernel() || !grid || !block)
        continue;
      int64_t blocks = 1, threads = 1;
      for (int32_t g : grid.asArrayRef())
        blocks *= g;
      for (int32_t t : block.asArrayRef())
        threads *= t;
      // One block per multiprocessor needs no budget; blocks that cannot all fit by threads
      // alone would only be starved of registers.
      int64_t perMultiprocessor = (blocks + multiprocessors - 1) / multiprocessors;
      if (perMultiprocessor < 2 || perMultiprocessor * threads > kThreadsPerMultiprocessor ||
          kRegistersPerMultiprocessor / (perMultiprocessor * threads) < kMinRegistersPerThread)
        continue;
      kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      IntegerAttr::get(IntegerType::get(&getContext(), 32), perMultiprocessor));
    }
  }
};

} // namespace
