//===- MergeLaunches.cpp - consecutive independent kernels as one ---------===//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"


namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUMERGELAUNCHES
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace ::tern::cuda;

namespace {

/// The launch's grid size along x when it can join a merge: a constant size along x, one block
/// along z, a single-block body, no private memory, not asynchronous. (Along y any size: the
/// launches merged must have the same, sameSize.)
std::optional<int64_t> mergeableGrid(gpu::LaunchOp launch) {
  if (!launch.getPrivateAttributions().empty() ||
      launch.getDynamicSharedMemorySize() || launch.getAsyncToken() ||
      !launch.getAsyncDependencies().empty() || !launch.getBody().hasOneBlock() ||
      launch.hasClusterSize())
    return std::nullopt;
  std::optional<int64_t> x = constantOf(launch.getGridSizeX());
  if (!x || constantOf(launch.getGridSizeZ()) != 1)
    return std::nullopt;
  for (Value size : {launch.getBlockSizeX(), launch.getBlockSizeY(), launch.getBlockSizeZ()})
    if (!constantOf(size))
      return std::nullopt;
  return x;
}

/// Whether two index values are known equal: the same value, the sizes of buffers allocated with
/// the same size, or the same pure arithmetic of such values (each product computes its grid's y,
/// the blocks of 32 tokens, from its own input, all allocated with the token count).
bool sameSize(Value a, Value b, int depth = 0) {
  if (a == b)
    return true;
  std::optional<int64_t> constantA = constantOf(a), constantB = constantOf(b);
  if (constantA || constantB)
    return constantA == constantB;
  if (depth > 4)
    return false;
  auto dimA = a.getDefiningOp<memref::DimOp>(), dimB = b.getDefiningOp<memref::DimOp>();
  if (dimA && dimB) {
    std::optional<int64_t> i = constantOf(dimA.getIndex()), j = constantOf(dimB.getIndex());
    Value sizeA = i ? allocatedSize(dimA.getSource(), *i) : nullptr;
    Value sizeB = j ? allocatedSize(dimB.getSource(), *j) : nullptr;
    return i == j && ((sizeA && sizeA == sizeB) || dimA.getSource() == dimB.getSource());
  }
  Operation *opA = a.getDefiningOp(), *opB = b.getDefiningOp();
  if (!opA || !opB || opA->getName() != opB->getName() || !isPure(opA) ||
      opA->getNumResults() != 1 || opB->getNumResults() != 1 ||
      opA->getAttrDictionary() != opB->getAttrDictionary() ||
      opA->getNumOperands() != opB->getNumOperands() || opA->getNumRegions() != 0)
    return false;
  for (auto [x, y] : llvm::zip(opA->getOperands(), opB->getOperands()))
    if (!sameSize(x, y, depth + 1))
      return false;
  return true;
}

/// The types of the workgroup buffers a kernel declares.
SmallVector<Type> workgroupTypes(gpu::LaunchOp launch) {
  return llvm::map_to_vector(launch.getWorkgroupAttributions(),
                             [](BlockArgument v) { return v.getType(); });
}

/// Whether the two kernels' blocks have the same shape and the same workgroup buffers (a block of
/// the merged kernel runs one of them, with the buffers they both declare).
bool sameBlock(gpu::LaunchOp a, gpu::LaunchOp b) {
  return workgroupTypes(a) == workgroupTypes(b) && sameSize(a.getGridSizeY(), b.getGridSizeY()) &&
         constantOf(a.getBlockSizeX()) == constantOf(b.getBlockSizeX()) &&
         constantOf(a.getBlockSizeY()) == constantOf(b.getBlockSizeY()) &&
         constantOf(a.getBlockSizeZ()) == constantOf(b.getBlockSizeZ());
}

void merge(ArrayRef<gpu::LaunchOp> group) {
  gpu::LaunchOp first = group.front(), last = group.back();
  OpBuilder b(last);
  b.setInsertionPointAfter(last);
  Location loc = first.getLoc();
  int64_t total = 0;
  SmallVector<int64_t> grids;
  for (gpu::LaunchOp launch : group) {
    grids.push_back(*mergeableGrid(launch));
    total += grids.back();
  }
  // Every launch's operands (sizes) and captured values are defined before the last one.
  Value one = indexConstant(b, loc, 1);
  auto merged = gpu::LaunchOp::create(
      b, loc, indexConstant(b, loc, total), first.getGridSizeY(), one,
      indexConstant(b, loc, *constantOf(first.getBlockSizeX())),
      indexConstant(b, loc, *constantOf(first.getBlockSizeY())),
      indexConstant(b, loc, *constantOf(first.getBlockSizeZ())), /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
      workgroupTypes(first));
  if (llvm::all_of(group, [](gpu::LaunchOp l) { return l->hasAttr(kPrologueTargetAttr); }))
    merged->setAttr(kPrologueTargetAttr, UnitAttr::get(b.getContext()));
  Block &body = merged.getBody().front();
  b.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPoint(body.getTerminator());
  Value block = merged.getBlockIds().x;
  int64_t offset = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    gpu::LaunchOp launch = group[i];
    int64_t grid = grids[i];
    Value begin = indexConstant(b, loc, offset), end = indexConstant(b, loc, offset + grid);
    Value inRange = arith::AndIOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, block, begin),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, block, end));
    scf::IfOp::create(b, loc, inRange, [&](OpBuilder &ib, Location loc) {
      IRMapping mapping;
      Block &old = launch.getBody().front();
      for (auto [from, to] : llvm::zip(old.getArguments().take_front(12),
                                       body.getArguments().take_front(12)))
        mapping.map(from, to);
      for (auto [from, to] :
           llvm::zip(launch.getWorkgroupAttributions(), merged.getWorkgroupAttributions()))
        mapping.map(from, to);
      mapping.map(launch.getBlockIds().x, arith::SubIOp::create(ib, loc, block, begin));
      mapping.map(launch.getGridSize().x, indexConstant(ib, loc, grid));
      for (Operation &op : old.without_terminator())
        ib.clone(op, mapping);
      scf::YieldOp::create(ib, loc);
    });
    offset += grid;
  }
  // What was freed between the kernels is freed after the merged one.
  SmallVector<Operation *> frees;
  for (Operation *op = first; op != last; op = op->getNextNode())
    if (isa<gpu::DeallocOp, memref::DeallocOp>(op))
      frees.push_back(op);
  for (Operation *op : llvm::reverse(frees))
    op->moveAfter(merged);
  for (gpu::LaunchOp launch : group)
    launch.erase();
}

struct MergeLaunchesPass : mlir::tern::impl::TernGPUMergeLaunchesBase<MergeLaunchesPass> {
  void runOnOperation() override {
    for (Block &block : getOperation().getBody()) {
      SmallVector<SmallVector<gpu::LaunchOp>> groups;
      SmallVector<gpu::LaunchOp> group;
      SmallVector<Effects> effects;
      auto flush = [&] {
        if (group.size() >= 2)
          groups.push_back(group);
        group.clear();
        effects.clear();
      };
      for (Operation &op : block) {
        auto launch = dyn_cast<gpu::LaunchOp>(op);
        if (!launch) {
          if (!isAllocationOrPure(&op))
            flush();
          continue;
        }
        if (!mergeableGrid(launch)) {
          flush();
          continue;
        }
        Effects mine = effectsOf(launch);
        bool independent = !group.empty() && sameBlock(group.front(), launch) &&
                           llvm::all_of(effects, [&](const Effects &other) {
                             return commutes(mine, other);
                           });
        if (!independent)
          flush();
        group.push_back(launch);
        effects.push_back(mine);
      }
      flush();
      for (ArrayRef<gpu::LaunchOp> g : groups)
        merge(g);
    }
  }
};

} // namespace
