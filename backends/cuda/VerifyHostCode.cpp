//===- VerifyHostCode.cpp - host code never touches device memory ---------===//
#include "backends/cuda/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUVERIFYHOSTCODE
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

struct VerifyHostCodePass
    : mlir::tern::impl::TernGPUVerifyHostCodeBase<VerifyHostCodePass> {
  void runOnOperation() override {
    bool failedAny = false;
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      fn.walk([&](Operation *op) {
        if (op->getParentOfType<gpu::LaunchOp>())
          return;
        if (isa<memref::LoadOp, memref::StoreOp, memref::CopyOp, memref::AllocOp,
                memref::AllocaOp, memref::GetGlobalOp>(op)) {
          op->emitError("host code of a CUDA function may not touch memory itself (the "
                        "buffers live on the device): ")
              << op->getName() << " was left outside every kernel";
          failedAny = true;
        }
      });
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
