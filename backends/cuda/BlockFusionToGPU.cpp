//===- BlockFusionToGPU.cpp - one block for the small ops of a step -------===//
//
// Between two matrix products a decode step normalizes, quantizes, gates and
// steps the recurrence over rows of a few thousand elements. One kernel per
// op makes the step launch-bound (docs/performance-gpu.md); one block that
// runs them all in order, with barriers between them, costs one launch.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUBLOCKFUSION
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace ::tern::cuda;

namespace {

/// An op of a run: an all-parallel linalg op, or a reduction the block combines.
struct Member {
  linalg::LinalgOp op;
  std::optional<RowReduction> reduction;
};

/// The op's static loop ranges when every operand has a static shape.
std::optional<SmallVector<int64_t>> staticRanges(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<ShapedType>(operand.getType());
        type && (!isa<MemRefType>(type) || !type.hasStaticShape()))
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  return ranges;
}

int64_t product(ArrayRef<int64_t> values) {
  int64_t p = 1;
  for (int64_t v : values)
    p *= v;
  return p;
}

/// Bytes a value takes among a kernel's parameters: a memref descriptor (two pointers, offset,
/// sizes, strides) or a scalar.
int64_t parameterBytes(Value v) {
  if (auto type = dyn_cast<MemRefType>(v.getType()))
    return 8 * (3 + 2 * type.getRank());
  return 8;
}
constexpr int64_t kMaxParameterBytes = 3584;

class RunFuser {
public:
  RunFuser(int64_t blockSize, int64_t maxElements, int64_t maxOutputs)
      : blockSize(blockSize), maxElements(maxElements), maxOutputs(maxOutputs) {}

  std::optional<Member> match(Operation *op) const {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || !isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp>(op) ||
        op->getParentOfType<gpu::LaunchOp>())
      return std::nullopt;
    std::optional<SmallVector<int64_t>> ranges = staticRanges(linalgOp);
    if (!ranges || product(*ranges) > maxElements || linalgOp.getNumDpsInits() != 1)
      return std::nullopt;
    if (linalgOp.getNumReductionLoops() == 0)
      return Member{linalgOp, std::nullopt};
    auto generic = dyn_cast<linalg::GenericOp>(op);
    std::optional<RowReduction> reduction = generic ? matchRowReduction(generic) : std::nullopt;
    if (!reduction || product(ArrayRef<int64_t>(*ranges).drop_back()) > maxOutputs)
      return std::nullopt;
    return Member{linalgOp, reduction};
  }

  /// Allocations, views and constants stay where they are (before the kernel); deallocations move
  /// after it. Nothing else may lie between the ops of a run.
  static bool isTransparent(Operation *op) {
    return isa<gpu::AllocOp, gpu::DeallocOp, memref::AllocOp, memref::DeallocOp>(op) ||
           isMemoryEffectFree(op);
  }

  void fuse(ArrayRef<Operation *> run, MutableArrayRef<Member> members) {
    Operation *last = linalg::LinalgOp(members.back().op).getOperation();
    OpBuilder b(last->getContext());
    b.setInsertionPointAfter(last);
    Location loc = last->getLoc();
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    int64_t warps = blockSize / kWarpSize;
    auto partialsF32 = MemRefType::get({warps}, b.getF32Type(), AffineMap(), workgroup);
    auto partialsI32 = MemRefType::get({warps}, b.getI32Type(), AffineMap(), workgroup);
    // Buffers that only this kernel uses live in its shared memory: the ops of a run wait on each
    // other's results, and shared memory answers in tens of cycles where global memory takes
    // hundreds.
    SmallVector<Value> local = kernelLocalBuffers(members);
    SmallVector<Type> workgroupTypes{partialsF32, partialsI32};
    for (Value buffer : local) {
      auto type = cast<MemRefType>(buffer.getType());
      workgroupTypes.push_back(
          MemRefType::get(type.getShape(), type.getElementType(), AffineMap(), workgroup));
    }
    Value one = indexConstant(b, loc, 1);
    gpu::LaunchOp launch = createLaunch(b, loc, one, one, blockSize, workgroupTypes);
    Value tid = launch.getThreadIds().x;
    for (auto [buffer, shared] : llvm::zip(local, launch.getWorkgroupAttributions().drop_front(2)))
      for (Member &m : members)
        m.op->replaceUsesOfWith(buffer, shared);
    for (Member m : members) {
      if (m.reduction)
        emitReduction(b, m.op, *m.reduction, tid, launch);
      else
        emitParallel(b, m.op, tid);
      gpu::BarrierOp::create(b, m.op.getLoc());
    }
    // A buffer freed before the kernel that now uses it is freed after it instead.
    for (Operation *op : run) {
      if (!isa<gpu::DeallocOp, memref::DeallocOp>(op) || !op->isBeforeInBlock(launch))
        continue;
      Value freed = rootOf(op->getOperand(0));
      bool used = llvm::any_of(members, [&](Member &m) {
        return llvm::any_of(m.op->getOperands(), [&](Value v) { return rootOf(v) == freed; });
      });
      if (used)
        op->moveAfter(launch);
    }
    for (Member m : members)
      m.op->erase();
    for (Value buffer : local) {
      for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
        user->erase(); // the deallocation
      buffer.getDefiningOp()->erase();
    }
  }

private:
  int64_t blockSize, maxElements, maxOutputs;

  /// Static shared memory a block may have (48 KiB), less the reduction partials and a margin.
  static constexpr int64_t kSharedBytes = 44 * 1024;

  /// The allocations that only `members` use (besides their deallocation), directly (no views),
  /// smallest first, as many as fit in shared memory.
  SmallVector<Value> kernelLocalBuffers(MutableArrayRef<Member> members) {
    llvm::SetVector<Value> candidates;
    llvm::SmallPtrSet<Operation *, 16> inRun;
    for (Member &m : members)
      inRun.insert(m.op.getOperation());
    for (Member &m : members)
      for (Value v : m.op->getOperands()) {
        auto type = dyn_cast<MemRefType>(v.getType());
        if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
            !v.getDefiningOp<gpu::AllocOp>() || type.getMemorySpace())
          continue;
        bool local = llvm::all_of(v.getUsers(), [&](Operation *user) {
          return inRun.contains(user) || isa<gpu::DeallocOp>(user);
        });
        if (local)
          candidates.insert(v);
      }
    auto bytes = [](Value v) {
      auto type = cast<MemRefType>(v.getType());
      return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
    };
    SmallVector<Value> sorted(candidates.begin(), candidates.end());
    llvm::stable_sort(sorted, [&](Value a, Value b) { return bytes(a) < bytes(b); });
    SmallVector<Value> chosen;
    int64_t used = 0;
    for (Value v : sorted) {
      if (used + bytes(v) > kSharedBytes)
        break;
      used += bytes(v);
      chosen.push_back(v);
    }
    return chosen;
  }

  /// The loop indices of the linear iteration `linear` over `ranges` (the last varies fastest).
  SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                 ArrayRef<int64_t> ranges) {
    SmallVector<Value> ivs(ranges.size());
    for (int i = int(ranges.size()) - 1; i >= 0; --i) {
      Value size = indexConstant(b, loc, ranges[i]);
      ivs[i] = i == 0 ? linear : arith::RemUIOp::create(b, loc, linear, size).getResult();
      if (i > 0)
        linear = arith::DivUIOp::create(b, loc, linear, size);
    }
    return ivs;
  }

  /// Rounds a thread makes over `total` iterations, unrolled when there are few: all loads of all
  /// rounds are issued first, so a thread waits for memory once per op, not once per round.
  static constexpr int64_t kMaxUnrolledRounds = 16;

  /// The iteration of round `round` for this thread, clamped into range so that its loads are
  /// valid; `valid` says whether it is a real one.
  std::pair<Value, Value> roundIndex(OpBuilder &b, Location loc, Value tid, int64_t round,
                                     int64_t total) {
    Value linear = arith::AddIOp::create(b, loc, tid, indexConstant(b, loc, round * blockSize));
    if ((round + 1) * blockSize <= total)
      return {linear, nullptr};
    Value last = indexConstant(b, loc, total - 1);
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, linear, last);
    return {arith::MinUIOp::create(b, loc, linear, last), valid};
  }

  /// Thread tid does the iterations tid, tid + blockSize, ...
  void emitParallel(OpBuilder &b, linalg::LinalgOp op, Value tid) {
    Location loc = op.getLoc();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t total = product(ranges), rounds = (total + blockSize - 1) / blockSize;
    Operation *yield = op.getBlock()->getTerminator();
    auto store = [&](OpBuilder &sb, Location loc, IRMapping &mapping, ValueRange ivs) {
      for (auto [value, init] : llvm::zip(yield->getOperands(), op.getDpsInitsMutable())) {
        SmallVector<Value> at = applyMap(sb, loc, op.getMatchingIndexingMap(&init), ivs);
        memref::StoreOp::create(sb, loc, mapping.lookupOrDefault(value), init.get(), at);
      }
    };
    if (rounds > kMaxUnrolledRounds) {
      scf::ForOp::create(b, loc, tid, indexConstant(b, loc, total), indexConstant(b, loc, blockSize),
                         ValueRange{}, [&](OpBuilder &lb, Location loc, Value linear, ValueRange) {
                           SmallVector<Value> ivs = delinearize(lb, loc, linear, ranges);
                           IRMapping mapping = buildIteration(lb, loc, op, ivs);
                           store(lb, loc, mapping, ivs);
                           scf::YieldOp::create(lb, loc);
                         });
      return;
    }
    struct Round {
      SmallVector<Value> ivs;
      Value valid;
      IRMapping mapping;
    };
    SmallVector<Round> all(rounds);
    for (int64_t i = 0; i < rounds; ++i) {
      auto [linear, valid] = roundIndex(b, loc, tid, i, total);
      all[i].ivs = delinearize(b, loc, linear, ranges);
      all[i].valid = valid;
      all[i].mapping = loadIterationOperands(b, loc, op, all[i].ivs);
    }
    for (Round &round : all) {
      cloneIterationBody(b, op, round.mapping, round.ivs);
      if (!round.valid) {
        store(b, loc, round.mapping, round.ivs);
        continue;
      }
      scf::IfOp::create(b, loc, round.valid, [&](OpBuilder &ib, Location loc) {
        store(ib, loc, round.mapping, round.ivs);
        scf::YieldOp::create(ib, loc);
      });
    }
  }

  /// This thread's share of one output's row: elements tid, tid + blockSize, ... combined.
  Value foldRow(OpBuilder &b, Location loc, linalg::LinalgOp op, const RowReduction &r,
                ValueRange ivs, Value tid, int64_t length, Value identity) {
    auto elementOf = [&](IRMapping &mapping) {
      return mapping.lookupOrDefault(r.combiner->getOperand(1 - r.outOperand));
    };
    int64_t rounds = (length + blockSize - 1) / blockSize;
    if (rounds > kMaxUnrolledRounds) {
      auto fold = scf::ForOp::create(
          b, loc, tid, indexConstant(b, loc, length), indexConstant(b, loc, blockSize),
          ValueRange{identity}, [&](OpBuilder &lb, Location loc, Value k, ValueRange acc) {
            SmallVector<Value> at(ivs);
            at.push_back(k);
            IRMapping mapping = buildIteration(lb, loc, op, at, r.combiner);
            scf::YieldOp::create(lb, loc, combine(lb, r, elementOf(mapping), acc[0]));
          });
      return fold.getResult(0);
    }
    SmallVector<std::pair<SmallVector<Value>, Value>> at;
    SmallVector<IRMapping> mappings;
    for (int64_t i = 0; i < rounds; ++i) {
      auto [k, valid] = roundIndex(b, loc, tid, i, length);
      SmallVector<Value> indices(ivs);
      indices.push_back(k);
      mappings.push_back(loadIterationOperands(b, loc, op, indices, r.combiner));
      at.push_back({indices, valid});
    }
    Value acc = identity;
    for (int64_t i = 0; i < rounds; ++i) {
      cloneIterationBody(b, op, mappings[i], at[i].first, r.combiner);
      Value element = elementOf(mappings[i]);
      if (at[i].second)
        element = arith::SelectOp::create(b, loc, at[i].second, element, identity);
      acc = combine(b, r, element, acc);
    }
    return acc;
  }

  /// Each output in turn: the block folds its row, thread 0 combines it into the output.
  void emitReduction(OpBuilder &b, linalg::LinalgOp op, const RowReduction &r, Value tid,
                     gpu::LaunchOp launch) {
    Location loc = op.getLoc();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    OpOperand *init = op.getDpsInitOperand(0);
    Type elementType = cast<MemRefType>(init->get().getType()).getElementType();
    Value partials = launch.getWorkgroupAttributions()[elementType.isF32() ? 0 : 1];
    scf::ForOp::create(
        b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, product(ArrayRef(ranges).drop_back())),
        indexConstant(b, loc, 1), ValueRange{},
        [&](OpBuilder &ob, Location loc, Value output, ValueRange) {
          SmallVector<Value> ivs = delinearize(ob, loc, output, ArrayRef(ranges).drop_back());
          Value identity = arith::getIdentityValue(r.kind, elementType, ob, loc);
          Value partial = foldRow(ob, loc, op, r, ivs, tid, ranges.back(), identity);
          blockReduce(
              ob, loc, partial, partials, tid, blockSize, identity,
              [&](OpBuilder &cb, Value x, Value y) { return combine(cb, r, x, y); },
              [&](OpBuilder &tb, Location loc, Value total) {
                SmallVector<Value> at(ivs);
                at.push_back(indexConstant(tb, loc, 0)); // the output map does not read it
                SmallVector<Value> index = applyMap(tb, loc, op.getMatchingIndexingMap(init), at);
                Value old = memref::LoadOp::create(tb, loc, init->get(), index);
                memref::StoreOp::create(tb, loc, combine(tb, r, total, old), init->get(), index);
              });
          // The partials are read by warp 0 before the next output's warps overwrite them.
          gpu::BarrierOp::create(ob, loc);
          scf::YieldOp::create(ob, loc);
        });
  }
};

/// Moves each small op up past the kernels (and small ops) it does not depend on, so that
/// independent work (the prologues of the three projections that read one input) lands in
/// one run instead of one run between each two kernels.
void gather(Block &block, const RunFuser &fuser) {
  // Far enough for the three projections that share an input; an op that depends on nothing
  // computed (a fill, a copy of the state) would otherwise float to the top of the function.
  constexpr int kMaxKernelsCrossed = 3;
  SmallVector<Operation *> candidates;
  for (Operation &op : block)
    if (fuser.match(&op))
      candidates.push_back(&op);
  for (Operation *op : candidates) {
    Effects effects = effectsOf(cast<linalg::LinalgOp>(op));
    Operation *stop = op->getPrevNode();
    Operation *lastMember = nullptr; // the earliest small op passed, after at least one kernel
    int crossed = 0;
    bool limited = false;
    for (; stop; stop = stop->getPrevNode()) {
      if (RunFuser::isTransparent(stop))
        continue;
      if (auto launch = dyn_cast<gpu::LaunchOp>(stop)) {
        if (!commutes(effects, effectsOf(launch)))
          break;
        if (crossed == kMaxKernelsCrossed) {
          limited = true;
          break;
        }
        ++crossed;
        continue;
      }
      if (fuser.match(stop) && commutes(effects, effectsOf(cast<linalg::LinalgOp>(stop)))) {
        if (crossed)
          lastMember = stop;
        continue;
      }
      break;
    }
    if (!crossed)
      continue;
    // Stopped by the limit between two kernels: join the earliest run reached instead.
    if (limited) {
      if (!lastMember)
        continue;
      stop = lastMember;
    }
    op->moveBefore(stop ? stop->getNextNode() : &block.front());
    for (Value operand : op->getOperands())
      hoistDefinition(operand, op);
  }
}

/// Then moves each kernel up past the small ops it does not depend on, to the kernel before it:
/// the recurrence that follows one projection then joins the run after the next projection.
void gatherKernels(Block &block, const RunFuser &fuser) {
  SmallVector<gpu::LaunchOp> launches(block.getOps<gpu::LaunchOp>());
  for (gpu::LaunchOp launch : launches) {
    Effects effects = effectsOf(launch);
    Operation *stop = launch->getPrevNode();
    bool crossed = false;
    for (; stop; stop = stop->getPrevNode()) {
      if (RunFuser::isTransparent(stop))
        continue;
      if (fuser.match(stop) && commutes(effectsOf(cast<linalg::LinalgOp>(stop)), effects)) {
        crossed = true;
        continue;
      }
      break;
    }
    if (!crossed)
      continue;
    launch->moveBefore(stop ? stop->getNextNode() : &block.front());
    SetVector<Value> used;
    getUsedValuesDefinedAbove(launch.getBody(), used);
    used.insert(launch->getOperands().begin(), launch->getOperands().end());
    for (Value value : used)
      hoistDefinition(value, launch);
  }
}

struct BlockFusionToGPUPass : mlir::tern::impl::TernGPUBlockFusionBase<BlockFusionToGPUPass> {
  using TernGPUBlockFusionBase::TernGPUBlockFusionBase;

  void runOnOperation() override {
    if (blockSize < kWarpSize || blockSize > 1024 || blockSize % kWarpSize != 0) {
      getOperation().emitError("tern-gpu-block-fusion: block-size must be a multiple of 32 "
                               "between 32 and 1024, got ")
          << blockSize;
      return signalPassFailure();
    }
    RunFuser fuser(blockSize, maxElements, maxOutputs);
    for (Block &block : getOperation().getBody()) {
      gather(block, fuser);
      gatherKernels(block, fuser);
    }
    for (Block &block : getOperation().getBody()) {
      SmallVector<Operation *> run;
      SmallVector<Member> members;
      auto flush = [&] {
        // Kernel parameters are limited (4 KiB before PTX 8.1): a run that would pass more
        // buffers than fit is split into several kernels.
        SmallVector<Member> chunk;
        llvm::DenseSet<Value> passed;
        int64_t bytes = 0;
        auto emit = [&] {
          if (chunk.size() >= 2)
            fuser.fuse(run, chunk);
          chunk.clear();
          passed.clear();
          bytes = 0;
        };
        for (Member &m : members) {
          int64_t more = 0;
          for (Value v : m.op->getOperands())
            if (!passed.contains(v))
              more += parameterBytes(v);
          if (bytes + more > kMaxParameterBytes)
            emit();
          for (Value v : m.op->getOperands())
            if (passed.insert(v).second)
              bytes += parameterBytes(v);
          chunk.push_back(m);
        }
        emit();
        run.clear();
        members.clear();
      };
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (std::optional<Member> m = fuser.match(&op)) {
          run.push_back(&op);
          members.push_back(*m);
        } else if (RunFuser::isTransparent(&op)) {
          run.push_back(&op);
        } else {
          flush();
        }
      }
      flush();
    }
  }
};

} // namespace
