//===- DependentLaunch.cpp - kernels that start while the one before ends --===//
//
// A decode step is a chain of a few hundred short kernels; between two of
// them the GPU drains one grid and ramps up the next. With programmatic
// dependent launch (sm_90) the next grid starts early and waits inside
// itself, after the work that does not depend on the kernel before it.
//
#include "backends/cuda/LaunchSites.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

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

struct DependentLaunchPass
    : mlir::tern::impl::TernGPUDependentLaunchBase<DependentLaunchPass> {
  using TernGPUDependentLaunchBase::TernGPUDependentLaunchBase;

  void runOnOperation() override {
    llvm::StringMap<tern::KernelLaunchSites> sites =
        tern::kernelLaunchSites(getOperation(), *triggerAfterWaitFunctions);
    for (gpu::GPUFuncOp kernel : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!kernel.isKernel())
        continue;
      bool waitsLater = waits(kernel);
      OpBuilder b = OpBuilder::atBlockBegin(&kernel.getBody().front());
      Location loc = kernel.getLoc();
      auto site = sites.find(kernel.getName());
      if (site != sites.end() && site->second.onlyFromFunctions) {
        // The next kernel may start once every block of this one has passed its wait: only the
        // kernels before it have completed then, so at most this one and the next are in flight.
        if (!waitsLater)
          NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
        kernel.walk([&](NVVM::GriddepcontrolOp wait) {
          if (wait.getKind() != NVVM::GridDepActionKind::wait)
            return;
          OpBuilder after(wait);
          after.setInsertionPointAfter(wait);
          NVVM::GriddepcontrolOp::create(after, loc, NVVM::GridDepActionKind::launch_dependents);
        });
        continue;
      }
      // The next kernel may start once every block of this one has begun: it only loads
      // weights until it reaches its own wait.
      NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::launch_dependents);
      if (!waitsLater)
        NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
    }
  }
};

} // namespace
