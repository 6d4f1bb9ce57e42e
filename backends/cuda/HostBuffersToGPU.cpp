//===- HostBuffersToGPU.cpp - host buffers in device memory ---------------===//
#include "backends/cuda/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUHOSTBUFFERS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

bool insideKernel(Operation *op) { return op->getParentOfType<gpu::LaunchOp>() != nullptr; }

struct HostBuffersToGPUPass
    : mlir::tern::impl::TernGPUHostBuffersBase<HostBuffersToGPUPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op) && !insideKernel(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getSymbolOperands().empty()) {
          alloc.emitOpError("with symbol operands cannot move to device memory");
          return signalPassFailure();
        }
        // Synchronous and not host-shared: plain device memory.
        auto device = gpu::AllocOp::create(rewriter, alloc.getLoc(), alloc.getType(),
                                           /*asyncToken=*/Type(), /*asyncDependencies=*/ValueRange{},
                                           alloc.getDynamicSizes(), ValueRange{},
                                           /*hostShared=*/false);
        rewriter.replaceOp(alloc, device.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(rewriter, dealloc.getLoc(), /*asyncToken=*/Type(), ValueRange{},
                               dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(), copy.getTarget());
        rewriter.eraseOp(copy);
      }
    }
  }
};

} // namespace
