//===- DependentLaunch.cpp - kernels that start while the one before ends --===//
//
// A decode step is a chain of a few hundred short kernels; between two of
// them the GPU drains one grid and ramps up the next. With programmatic
// dependent launch (sm_90) the next grid starts early and waits inside
// itself, after the work that does not depend on the kernel before it.
//
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUDEPENDENTLAUNCH
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

bool waits(gpu::GPUFuncOp kernel) {
  bool found = false;
  kernel.walk([&](NVVM::GriddepcontrolOp op) {
    found |= op.getKind() == NVVM::GridDepActionKind::wait;
  });
  return found;
}

/// The last of the prefetches at the start of `entry`, before any op that reads or writes
/// memory (the address computations between them have no memory effects); null if none.
Operation *leadingPrefetchesEnd(Block &entry) {
  Operation *last = nullptr;
  for (Operation &op : entry) {
    if (isa<NVVM::PrefetchOp>(op))
      last = &op;
    else if (!isMemoryEffectFree(&op))
      break;
  }
  return last;
}

struct DependentLaunchPass
    : mlir::tern::impl::TernGPUDependentLaunchBase<DependentLaunchPass> {
  void runOnOperation() override {
    for (gpu::GPUFuncOp kernel : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!kernel.isKernel())
        continue;
      bool waitsLater = waits(kernel);
      Block &entry = kernel.getBody().front();
      Operation *prefetched = leadingPrefetchesEnd(entry);
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      Location loc = kernel.getLoc();
      // The next kernel may start once every block of this one has begun: it only loads
      // weights until it reaches its own wait.
      NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::launch_dependents);
      if (waitsLater)
        continue;
      // Otherwise it waits at its start, after the prefetches of its weights that open it
      // (tern-gpu-block-fusion).
      if (prefetched)
        b.setInsertionPointAfter(prefetched);
      NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
    }
  }
};

} // namespace
