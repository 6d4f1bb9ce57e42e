//===- RowReductionsToGPU.cpp - a thread block per reduced row ------------===//
//
// convert-linalg-to-parallel-loops would give each output of a reduction one
// thread that walks the whole row: an RMS norm over a 2560-wide row then
// takes one thread thousands of dependent steps. Here each output gets a
// block, whose threads split the row and combine their partial results.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUROWREDUCTIONS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace ::tern::cuda;

namespace {

void rewrite(linalg::GenericOp op, const RowReduction &r, int64_t blockSize) {
  // A fill just before the reduction is its starting value: no kernel of its own, no read. (Taken
  // before any op below adds a use of the buffer.)
  std::optional<Value> initial = takeInitialFill(op.getDpsInitOperand(0)->get(), op);
  OpBuilder b(op);
  Location loc = op.getLoc();
  unsigned loops = op.getNumLoops();
  SmallVector<Value> sizes;
  for (Range range : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  Value outputs = indexConstant(b, loc, 1);
  for (unsigned i = 0; i + 1 < loops; ++i)
    outputs = arith::MulIOp::create(b, loc, outputs, sizes[i]);

  Type elementType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType()).getElementType();
  int64_t warps = blockSize / kWarpSize;
  auto partials = MemRefType::get({warps}, elementType, AffineMap(),
                                  gpu::AddressSpaceAttr::get(b.getContext(),
                                                             gpu::AddressSpace::Workgroup));
  gpu::LaunchOp launch = createLaunch(b, loc, outputs, indexConstant(b, loc, 1), blockSize,
                                      TypeRange{partials});
  Value smem = launch.getWorkgroupAttributions()[0];
  Value tid = launch.getThreadIds().x;

  // The block's output element: its parallel loop indices.
  SmallVector<Value> ivs(loops);
  Value rest = launch.getBlockIds().x;
  for (int i = int(loops) - 2; i >= 0; --i) {
    ivs[i] = arith::RemUIOp::create(b, loc, rest, sizes[i]);
    rest = arith::DivUIOp::create(b, loc, rest, sizes[i]);
  }
  Value identity = arith::getIdentityValue(r.kind, elementType, b, loc);

  // Each thread folds the elements tid, tid + blockSize, ... of the row.
  auto loop = scf::ForOp::create(
      b, loc, tid, sizes[loops - 1], indexConstant(b, loc, blockSize), ValueRange{identity},
      [&](OpBuilder &lb, Location loc, Value k, ValueRange acc) {
        SmallVector<Value> at(ivs);
        at[loops - 1] = k;
        IRMapping mapping = buildIteration(lb, loc, op, at, r.combiner);
        Value element = mapping.lookupOrDefault(r.combiner->getOperand(1 - r.outOperand));
        scf::YieldOp::create(lb, loc, combine(lb, r, element, acc[0]));
      });

  // Across the block; thread 0 combines the total into the output.
  blockReduce(
      b, loc, loop.getResult(0), smem, tid, blockSize, identity,
      [&](OpBuilder &cb, Value x, Value y) { return combine(cb, r, x, y); },
      [&](OpBuilder &tb, Location loc, Value total) {
        OpOperand *init = op.getDpsInitOperand(0);
        SmallVector<Value> at(ivs);
        at[loops - 1] = indexConstant(tb, loc, 0); // the output map does not read it
        SmallVector<Value> index = applyMap(tb, loc, op.getMatchingIndexingMap(init), at);
        Value old =
            initial ? *initial : memref::LoadOp::create(tb, loc, init->get(), index).getResult();
        Value result = combine(tb, r, total, old);
        memref::StoreOp::create(tb, loc, result, init->get(), index);
        fuseElementwiseConsumers(tb, loc, op, launch, init->get(), index, result);
      });
  op.erase();
}

struct RowReductionsToGPUPass
    : mlir::tern::impl::TernGPURowReductionsBase<RowReductionsToGPUPass> {
  using TernGPURowReductionsBase::TernGPURowReductionsBase;

  void runOnOperation() override {
    if (blockSize < kWarpSize || blockSize > 1024 || blockSize % kWarpSize != 0) {
      getOperation().emitError("tern-gpu-row-reductions: block-size must be a multiple of 32 "
                               "between 32 and 1024, got ")
          << blockSize;
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, RowReduction>> matched;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (std::optional<RowReduction> r = matchRowReduction(op))
        matched.push_back({op, *r});
    });
    for (auto &[op, r] : matched)
      rewrite(op, r, blockSize);
  }
};

} // namespace
