//===- TileParallelLoops.cpp - blocks and threads for scf.parallel --------===//
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUTILEPARALLELLOOPS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

struct TileParallelLoopsPass
    : mlir::tern::impl::TernGPUTileParallelLoopsBase<TileParallelLoopsPass> {
  using TernGPUTileParallelLoopsBase::TernGPUTileParallelLoopsBase;

  void runOnOperation() override {
    if (blockSize < 1 || blockSize > 1024) {
      getOperation().emitError("tern-gpu-tile-parallel-loops: block-size must be in [1, 1024], got ")
          << blockSize;
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && !loop->getParentOfType<gpu::LaunchOp>() &&
          loop.getNumReductions() == 0)
        outermost.push_back(loop);
    });
    for (scf::ParallelOp loop : outermost) {
      SmallVector<int64_t> tileSizes(loop.getNumLoops(), 1);
      tileSizes.back() = blockSize;
      scf::tileParallelLoop(loop, tileSizes, /*noMinMaxBounds=*/true);
    }
  }
};

} // namespace
