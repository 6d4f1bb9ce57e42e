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

/// The associative operation that folds elements into the output, with the
/// value that leaves any element unchanged.
std::optional<arith::AtomicRMWKind> combinerKind(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<arith::AtomicRMWKind>>(op)
      .Case([](arith::AddFOp) { return arith::AtomicRMWKind::addf; })
      .Case([](arith::AddIOp) { return arith::AtomicRMWKind::addi; })
      .Case([](arith::MaximumFOp) { return arith::AtomicRMWKind::maximumf; })
      .Case([](arith::MinimumFOp) { return arith::AtomicRMWKind::minimumf; })
      .Case([](arith::MaxNumFOp) { return arith::AtomicRMWKind::maxnumf; })
      .Case([](arith::MinNumFOp) { return arith::AtomicRMWKind::minnumf; })
      .Case([](arith::MaxSIOp) { return arith::AtomicRMWKind::maxs; })
      .Case([](arith::MinSIOp) { return arith::AtomicRMWKind::mins; })
      .Default([](Operation *) { return std::nullopt; });
}

/// What a matched reduction looks like.
struct RowReduction {
  Operation *combiner;   // in the generic's body: combiner(element, %out)
  unsigned outOperand;   // which operand of the combiner is %out
  arith::AtomicRMWKind kind;
};

std::optional<RowReduction> matchRowReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return std::nullopt;
  unsigned loops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (loops == 0 || iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  for (unsigned i = 0; i + 1 < loops; ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  auto initType = dyn_cast<MemRefType>(init->get().getType());
  if (!initType || !(initType.getElementType().isF32() || initType.getElementType().isInteger(32)))
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (!outMap.isProjectedPermutation() || outMap.isFunctionOfDim(loops - 1))
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands())
    if (!isa<MemRefType>(input->get().getType()) && isa<ShapedType>(input->get().getType()))
      return std::nullopt;

  Block &body = op.getRegion().front();
  BlockArgument out = op.getMatchingBlockArgument(init);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *combiner = yield.getValues()[0].getDefiningOp();
  if (!combiner || combiner->getBlock() != &body || combiner->getNumOperands() != 2 ||
      !out.hasOneUse() || out.use_begin()->getOwner() != combiner)
    return std::nullopt;
  std::optional<arith::AtomicRMWKind> kind = combinerKind(combiner);
  if (!kind)
    return std::nullopt;
  unsigned outOperand = combiner->getOperand(0) == out ? 0 : 1;
  if (combiner->getOperand(1 - outOperand) == out)
    return std::nullopt; // combiner(%out, %out)
  return RowReduction{combiner, outOperand, *kind};
}

/// The indices an indexing map gives for the loop induction variables.
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    indices.push_back(affine::AffineApplyOp::create(b, loc, map.getSubMap({i}), ivs));
  return indices;
}

/// combiner(element, acc) in the operand order of the original combiner.
Value combine(OpBuilder &b, const RowReduction &r, Value element, Value acc) {
  IRMapping mapping;
  mapping.map(r.combiner->getOperand(r.outOperand), acc);
  mapping.map(r.combiner->getOperand(1 - r.outOperand), element);
  return b.clone(*r.combiner, mapping)->getResult(0);
}

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
  Block &body = op.getRegion().front();
  auto loop = scf::ForOp::create(
      b, loc, tid, sizes[loops - 1], indexConstant(b, loc, blockSize), ValueRange{identity},
      [&](OpBuilder &lb, Location loc, Value k, ValueRange acc) {
        SmallVector<Value> at(ivs);
        at[loops - 1] = k;
        IRMapping mapping;
        for (OpOperand *input : op.getDpsInputOperands()) {
          Value value = input->get();
          if (isa<MemRefType>(value.getType()))
            value = memref::LoadOp::create(
                lb, loc, value, applyMap(lb, loc, op.getMatchingIndexingMap(input), at));
          mapping.map(op.getMatchingBlockArgument(input), value);
        }
        for (Operation &inner : body.without_terminator()) {
          if (&inner == r.combiner)
            continue;
          if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
            mapping.map(index.getResult(), at[index.getDim()]);
            continue;
          }
          lb.clone(inner, mapping);
        }
        Value element = mapping.lookupOrDefault(r.combiner->getOperand(1 - r.outOperand));
        scf::YieldOp::create(lb, loc, combine(lb, r, element, acc[0]));
      });

  // Across the warp, then across the warps through workgroup memory.
  auto combineValues = [&](Value x, Value y) { return combine(b, r, x, y); };
  Value warpTotal = warpReduce(b, loc, loop.getResult(0), combineValues);
  Value warpSize = indexConstant(b, loc, kWarpSize);
  Value lane = arith::RemUIOp::create(b, loc, tid, warpSize);
  Value warp = arith::DivUIOp::create(b, loc, tid, warpSize);
  Value zero = indexConstant(b, loc, 0);
  Value firstLane = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, zero);
  scf::IfOp::create(b, loc, firstLane, [&](OpBuilder &ib, Location loc) {
    memref::StoreOp::create(ib, loc, warpTotal, smem, ValueRange{warp});
    scf::YieldOp::create(ib, loc);
  });
  gpu::BarrierOp::create(b, loc);
  Value firstWarp = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, warp, zero);
  scf::IfOp::create(b, loc, firstWarp, [&](OpBuilder &ib, Location loc) {
    Value hasPartial = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::ult, lane,
                                             indexConstant(ib, loc, warps));
    Value slot = arith::SelectOp::create(ib, loc, hasPartial, lane, zero);
    Value partial = memref::LoadOp::create(ib, loc, smem, ValueRange{slot});
    partial = arith::SelectOp::create(ib, loc, hasPartial, partial, identity);
    Value total = warpReduce(ib, loc, partial, [&](Value x, Value y) { return combine(ib, r, x, y); });
    Value firstThread = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::eq, lane, zero);
    scf::IfOp::create(ib, loc, firstThread, [&](OpBuilder &tb, Location loc) {
      OpOperand *init = op.getDpsInitOperand(0);
      SmallVector<Value> at(ivs);
      at[loops - 1] = zero; // the output map does not read it
      SmallVector<Value> index = applyMap(tb, loc, op.getMatchingIndexingMap(init), at);
      Value old = initial ? *initial : memref::LoadOp::create(tb, loc, init->get(), index).getResult();
      Value result = combine(tb, r, total, old);
      memref::StoreOp::create(tb, loc, result, init->get(), index);
      fuseElementwiseConsumers(tb, loc, op, launch, init->get(), index, result);
      scf::YieldOp::create(tb, loc);
    });
    scf::YieldOp::create(ib, loc);
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
