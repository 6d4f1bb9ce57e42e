//===- BlockFusionToGPU.cpp - one block for the small ops of a step -------===//
//
// Between two matrix products a decode step normalizes, quantizes, gates and
// steps the recurrence over rows of a few thousand elements. One kernel per
// op makes the step launch-bound (docs/performance-gpu.md); one block that
// runs them all in order costs one launch. Such a kernel is latency-bound on
// its one SM, so it waits at a barrier only where threads exchange data, and
// a thread reads what it stored itself from its registers.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include <limits>

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

//===----------------------------------------------------------------------===//
// Which thread touches which element: when ops need no barrier between them.
//===----------------------------------------------------------------------===//

/// How the block's threads share the iterations of one buffer access: linear iteration l (the
/// last loop varying fastest) is made by thread l % blockSize in round l / blockSize, in every
/// member (an all-parallel op, or the row of a reduction with a single output). Two accesses to one
/// buffer value with the same ThreadMap touch each element from the same thread in the same round.
struct ThreadMap {
  int64_t total = 0;           // iterations
  bool linear = false;         // iteration l touches the buffer's row-major element l
  SmallVector<int64_t> ranges; // with `map` (set only when it is a permutation): the loop ranges
  AffineMap map;
};

bool sameElements(const ThreadMap &a, const ThreadMap &b) {
  if (a.total != b.total)
    return false;
  if (a.linear && b.linear)
    return true;
  return a.map && a.map == b.map && a.ranges == b.ranges;
}

/// Whether distinct indices of `type` are distinct addresses (a layout that may give two indices
/// one address, such as a stride of 0, would let two threads share an element).
bool hasInjectiveLayout(MemRefType type) {
  if (type.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  // Row-major without overlap: each dimension (of more than one element) steps over all of the
  // later ones.
  int64_t inner = 1; // the span of the later dimensions
  for (int i = type.getRank() - 1; i >= 0; --i) {
    int64_t size = type.getDimSize(i);
    if (size == 1)
      continue;
    if (ShapedType::isDynamic(strides[i]) || ShapedType::isDynamic(size) || strides[i] < inner)
      return false;
    inner = strides[i] * size;
  }
  return true;
}

/// Whether iteration l of loops `ranges` touches element l (row-major) of a buffer of `type`
/// through `map`: leaving out loops and buffer dimensions of one element, the map is the identity.
bool isLinearAccess(ArrayRef<int64_t> ranges, AffineMap map, MemRefType type) {
  SmallVector<unsigned> loops, indexed;
  for (auto [i, range] : llvm::enumerate(ranges))
    if (range != 1)
      loops.push_back(i);
  for (auto [j, result] : llvm::enumerate(map.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    int64_t size = type.getDimSize(j);
    if (size == 1) {
      auto constant = dyn_cast<AffineConstantExpr>(result);
      if (!(dim && ranges[dim.getPosition()] == 1) && !(constant && constant.getValue() == 0))
        return false;
      continue;
    }
    if (!dim || ranges[dim.getPosition()] != size)
      return false;
    indexed.push_back(dim.getPosition());
  }
  return loops == indexed;
}

/// The ThreadMap of a member's access to `operand`, when the thread of each element is known.
std::optional<ThreadMap> threadMapOf(Member m, OpOperand &operand) {
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  if (!type || !hasInjectiveLayout(type) || bodyTouchesMemory(m.op))
    return std::nullopt;
  SmallVector<int64_t> ranges = m.op.getStaticLoopRanges();
  AffineMap map = m.op.getMatchingIndexingMap(&operand);
  ThreadMap threads;
  if (m.reduction) {
    // Only a single output's row is split over the threads as a parallel op is (ivs 0, ..., 0, k);
    // the output is written by thread 0 after the block has combined the row.
    if (m.op.isDpsInit(&operand) || product(ArrayRef(ranges).drop_back()) != 1 ||
        !isLinearAccess(ranges, map, type))
      return std::nullopt;
    threads.total = ranges.back();
    threads.linear = true;
    return threads;
  }
  threads.total = product(ranges);
  threads.linear = isLinearAccess(ranges, map, type);
  if (map.isPermutation()) {
    threads.ranges = ranges;
    threads.map = map;
  }
  if (!threads.linear && !threads.map)
    return std::nullopt;
  return threads;
}

/// A read or write of a buffer by some member of a kernel.
struct Access {
  Value buffer; // null: any memory
  bool write;
  std::optional<ThreadMap> threads; // std::nullopt: the element's thread is not known
};

/// Whether two buffers of a kernel may share memory. Workgroup buffers are the kernel's own
/// attributions, distinct from each other and from global memory.
bool mayAliasInKernel(Value a, Value b) {
  if (!a || !b)
    return true;
  auto inWorkgroup = [](Value v) {
    return gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(cast<MemRefType>(v.getType()));
  };
  if (inWorkgroup(a) || inWorkgroup(b))
    return rootOf(a) == rootOf(b);
  return mayAlias(a, b);
}

/// The buffer whose elements `v` holds in the same order from the first: `v` itself, or the source
/// of a contiguous view of it at offset 0 (the rank-reducing subview of a one-row buffer that the
/// recurrence step reads the gate values through). Accesses through either then touch the same
/// element in the same iteration.
Value sameElementsBuffer(Value v) {
  auto view = v ? v.getDefiningOp<memref::SubViewOp>() : memref::SubViewOp();
  if (!view || !view.getSource().getType().getLayout().isIdentity())
    return v;
  MemRefType type = view.getType();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || offset != 0)
    return v;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) == 1)
      continue;
    if (ShapedType::isDynamic(type.getDimSize(i)) || strides[i] != expected)
      return v;
    expected *= type.getDimSize(i);
  }
  return view.getSource();
}

/// What the block's memory holds while a kernel is built: the accesses since the last barrier,
/// and the values this thread stored that it may use again instead of loading them.
class KernelMemory {
public:
  explicit KernelMemory(int64_t blockSize) : blockSize(blockSize) {}

  /// Whether `access`, made after the pending ones, must wait for a barrier: two accesses to
  /// memory that may be shared, at least one a write, unless each element is touched by the same
  /// thread in both. A read of such an element in unrolled rounds must moreover take the value
  /// from a register: a thread past the end reads the last element instead, another thread's.
  bool mustWait(const Access &access) const {
    // A read of a value every thread holds touches no memory.
    if (!access.write && access.buffer && uniformValue(access.buffer))
      return false;
    return llvm::any_of(pending, [&](const Access &earlier) {
      if (!(earlier.write || access.write) || !mayAliasInKernel(earlier.buffer, access.buffer))
        return false;
      bool sameThread = sameElementsBuffer(earlier.buffer) == sameElementsBuffer(access.buffer) &&
                        earlier.threads && access.threads &&
                        sameElements(*earlier.threads, *access.threads);
      if (!sameThread)
        return true;
      bool readAfterWrite = earlier.write && !access.write;
      return readAfterWrite && unrolled(*access.threads) && !find(access.buffer, *access.threads);
    });
  }
  bool mustWait(ArrayRef<Access> accesses) const {
    return llvm::any_of(accesses, [&](const Access &a) { return mustWait(a); });
  }

  void barrier() { pending.clear(); }
  void record(ArrayRef<Access> accesses) { pending.append(accesses.begin(), accesses.end()); }

  /// A write of `buffer` (null: of anything): what this thread stored there, or in memory it
  /// may share, is no longer known.
  void forget(Value buffer) {
    // Nothing writes a constant (the weights loaded before the kernel waits).
    llvm::erase_if(stored, [&](const Stored &s) {
      return !isConstantBuffer(s.buffer) && mayAliasInKernel(s.buffer, buffer);
    });
    llvm::erase_if(uniform, [&](const std::pair<Value, Value> &u) {
      return mayAliasInKernel(u.first, buffer);
    });
  }
  /// Every thread holds `value`, the one element of `buffer` (a reduction's total).
  void rememberUniform(Value buffer, Value value) {
    forget(buffer);
    uniform.push_back({buffer, value});
  }
  /// The value every thread holds for the one element of `buffer`, or null.
  Value uniformValue(Value buffer) const {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() != 1)
      return Value();
    for (auto [b, value] : uniform)
      if (b == buffer)
        return value;
    return Value();
  }
  /// This thread stored `values[r]` in round r of the elements `threads` gives of `buffer`.
  void remember(Value buffer, const ThreadMap &threads, SmallVector<Value> values) {
    forget(buffer);
    stored.push_back({buffer, threads, std::move(values)});
  }
  /// The value this thread stored in round `round` at the element of `buffer` it reads now.
  Value storedValue(Value buffer, const ThreadMap &threads, int64_t round) const {
    const Stored *s = find(buffer, threads);
    return s ? s->values[round] : Value();
  }

  bool unrolled(const ThreadMap &threads) const {
    return (threads.total + blockSize - 1) / blockSize <= kMaxUnrolledRounds;
  }

  /// Rounds a thread makes over `total` iterations, unrolled when there are few: all loads of all
  /// rounds are issued first, so a thread waits for memory once per op, not once per round.
  static constexpr int64_t kMaxUnrolledRounds = 16;

private:
  struct Stored {
    Value buffer;
    ThreadMap threads;
    SmallVector<Value> values; // one per round
  };
  const Stored *find(Value buffer, const ThreadMap &threads) const {
    for (const Stored &s : stored)
      if (sameElementsBuffer(s.buffer) == sameElementsBuffer(buffer) &&
          sameElements(s.threads, threads))
        return &s;
    return nullptr;
  }

  int64_t blockSize;
  SmallVector<Access> pending;
  SmallVector<Stored> stored;
  SmallVector<std::pair<Value, Value>> uniform; // single-element buffer, value every thread holds
};

/// What the ops in a member's body do to memory beyond its operands.
void appendBodyAccesses(linalg::LinalgOp op, SmallVectorImpl<Access> &accesses) {
  op.getBlock()->walk([&](Operation *inner) {
    if (isMemoryEffectFree(inner))
      return;
    auto iface = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!iface) {
      accesses.push_back({Value(), true, std::nullopt});
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &e : effects) {
      bool write = !isa<MemoryEffects::Read>(e.getEffect());
      Value v = e.getValue();
      accesses.push_back({v && isa<MemRefType>(v.getType()) ? v : Value(), write, std::nullopt});
    }
  });
}

/// The accesses of a member that the accesses before it must not race with: all of a parallel op's;
/// a reduction's reads of its rows and the first write of its partials (its output is touched only
/// after the block has waited for its partials).
SmallVector<Access> accessesOnEntry(Member m, Value partials) {
  SmallVector<Access> accesses;
  for (OpOperand &operand : m.op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    std::optional<ThreadMap> threads = threadMapOf(m, operand);
    if (!m.op.isDpsInit(&operand)) {
      accesses.push_back({operand.get(), false, threads});
    } else if (!m.reduction) {
      accesses.push_back({operand.get(), true, threads});
      if (m.op.payloadUsesValueFromOperand(&operand))
        accesses.push_back({operand.get(), false, threads});
    }
  }
  appendBodyAccesses(m.op, accesses);
  if (m.reduction)
    accesses.push_back({partials, true, std::nullopt});
  return accesses;
}

/// The accesses of a member that the members after it must not race with, unless a barrier lies
/// between: all of a parallel op's; a reduction's partials and output, touched after its last
/// barrier by warp 0 and thread 0 (none when each output ends with a barrier).
SmallVector<Access> accessesOnExit(Member m, Value partials, bool endsWithBarrier) {
  if (!m.reduction)
    return accessesOnEntry(m, partials);
  if (endsWithBarrier)
    return {};
  Value output = m.op.getDpsInitOperand(0)->get();
  return {{partials, false, std::nullopt},
          {partials, true, std::nullopt},
          {output, false, std::nullopt},
          {output, true, std::nullopt}};
}

/// Moves each deallocation in `run` that comes before `replacement` and frees a buffer one of
/// `users` touches to just after `replacement` (the kernel or loop that now runs them).
void freeAfter(ArrayRef<Operation *> run, ArrayRef<Operation *> users, Operation *replacement) {
  for (Operation *op : run) {
    if (!isa<gpu::DeallocOp, memref::DeallocOp>(op) || !op->isBeforeInBlock(replacement))
      continue;
    Value freed = rootOf(op->getOperand(0));
    bool used = llvm::any_of(users, [&](Operation *user) {
      return llvm::any_of(user->getOperands(), [&](Value v) { return rootOf(v) == freed; });
    });
    if (used)
      op->moveAfter(replacement);
  }
}

class RunFuser {
public:
  RunFuser(int64_t maxBlockSize, int64_t maxElements, int64_t maxOutputs, bool dependentLaunch)
      : maxBlockSize(maxBlockSize), blockSize(maxBlockSize), maxElements(maxElements),
        maxOutputs(maxOutputs), dependentLaunch(dependentLaunch) {}

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
  static bool isTransparent(Operation *op) { return isAllocationOrPure(op); }

  /// `threads`: the kernel's block size when it is to run as the prologue of the kernel after
  /// it (whose blocks it then runs in); otherwise the members decide.
  void fuse(ArrayRef<Operation *> run, MutableArrayRef<Member> members,
            std::optional<int64_t> threads = std::nullopt) {
    blockSize = threads ? *threads : blockSizeFor(members);
    Operation *last = linalg::LinalgOp(members.back().op).getOperation();
    OpBuilder b(last->getContext());
    b.setInsertionPointAfter(last);
    Location loc = last->getLoc();
    auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    int64_t warps = blockSize / kWarpSize;
    // Room for the partials of kMaxGrouped reductions of one type that share one barrier.
    auto partialsF32 =
        MemRefType::get({kMaxGrouped * warps}, b.getF32Type(), AffineMap(), workgroup);
    auto partialsI32 =
        MemRefType::get({kMaxGrouped * warps}, b.getI32Type(), AffineMap(), workgroup);
    // Buffers that only this kernel uses live in its shared memory: the ops of a run wait on each
    // other's results, and shared memory answers in tens of cycles where global memory takes
    // hundreds.
    SmallVector<Value> local = kernelLocalBuffers(members);
    // Two partials buffers per element type, used by turns: a reduction whose every warp reads the
    // partials after its barrier is not overwritten by the next reduction's warps, and the one
    // after that writes only after that next reduction's barrier.
    SmallVector<Type> workgroupTypes{partialsF32, partialsI32, partialsF32, partialsI32};
    for (Value buffer : local) {
      auto type = cast<MemRefType>(buffer.getType());
      workgroupTypes.push_back(
          MemRefType::get(type.getShape(), type.getElementType(), AffineMap(), workgroup));
    }
    Value one = indexConstant(b, loc, 1);
    gpu::LaunchOp launch = createLaunch(b, loc, one, one, blockSize, workgroupTypes);
    Value tid = launch.getThreadIds().x;
    // A barrier only before a member that touches what another thread may have touched since the
    // last one; the values a thread stored and reads again come from its registers.
    KernelMemory memory(blockSize);
    if (dependentLaunch) {
      // What depends on no earlier kernel is read while the kernel before this one still runs:
      // the weights into registers, the other inputs into L2. Only then does this kernel wait.
      prefetchInputs(b, loc, members, local, tid);
      preload(b, members, tid, memory, [](Value buffer) { return isConstantBuffer(buffer); });
      NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
    }
    // Then the other inputs, all at once: one trip to memory, where loads left after the
    // members' stores would each wait for their own (the compiler cannot tell that the stores do
    // not reach them). A member that writes such an input (the recurrence updates its state in
    // place) makes the kernel forget the loaded values, so that what reads it later reads what
    // was written; that needs the member's one output to be all it writes.
    bool bodiesWrite = false;
    SmallVector<Value> severalOutputs; // outputs of members that write more than one
    for (const Member &m : members) {
      linalg::LinalgOp op = m.op;
      SmallVector<Access> body;
      appendBodyAccesses(op, body);
      bodiesWrite |= llvm::any_of(body, [](const Access &a) { return a.write; });
      if (op.getNumDpsInits() > 1)
        llvm::append_range(severalOutputs, op.getDpsInits());
    }
    preload(b, members, tid, memory, [&](Value buffer) {
      return !bodiesWrite && !isConstantBuffer(buffer) && !llvm::is_contained(local, buffer) &&
             llvm::none_of(severalOutputs,
                           [&](Value init) { return mayAliasInKernel(init, buffer); });
    });
    for (auto [buffer, shared] :
         llvm::zip(local, launch.getWorkgroupAttributions().drop_front(kPartialsBuffers)))
      for (Member &m : members)
        m.op->replaceUsesOfWith(buffer, shared);
    int64_t reductions = 0;
    SmallVector<size_t> order = schedule(members);
    for (size_t next = 0; next < order.size();) {
      // Independent reductions whose totals every thread will hold share one barrier.
      SmallVector<Member *> group = uniformGroup(members, ArrayRef(order).drop_front(next), memory);
      if (group.size() > 1) {
        emitReductionGroup(b, group, launch, reductions++, tid, memory);
        next += group.size();
        continue;
      }
      Member &m = members[order[next++]];
      Value partials = partialsFor(m, launch, m.reduction ? reductions++ : 0);
      // A reduction of several outputs waits after each (their partials share one buffer).
      bool endsWithBarrier =
          m.reduction && product(ArrayRef(m.op.getStaticLoopRanges()).drop_back()) > 1;
      if (memory.mustWait(accessesOnEntry(m, partials))) {
        gpu::BarrierOp::create(b, m.op.getLoc());
        memory.barrier();
      }
      if (m.reduction) {
        emitReduction(b, m, partials, tid, memory, endsWithBarrier);
        if (endsWithBarrier)
          memory.barrier();
      } else {
        emitParallel(b, m, tid, memory);
      }
      memory.record(accessesOnExit(m, partials, endsWithBarrier));
    }
    // A buffer freed before the kernel that now uses it is freed after it instead.
    freeAfter(run, llvm::map_to_vector(members, [](Member &m) { return m.op.getOperation(); }),
              launch);
    for (Member m : members)
      m.op->erase();
    for (Value buffer : local) {
      for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
        user->erase(); // the deallocation
      buffer.getDefiningOp()->erase();
    }
    dropUnreadWorkgroupBuffers(launch);
  }

private:
  int64_t maxBlockSize;
  int64_t blockSize; // of the kernel being built
  int64_t maxElements, maxOutputs;
  bool dependentLaunch;

  /// The threads of a kernel for `members`: the largest member (elements of a parallel op, the
  /// row of a reduction) takes as many rounds as with the largest block, with the fewest thread
  /// slots past the members' ends. A single-block kernel is limited by what one multiprocessor
  /// issues: 2,560 elements take 3 rounds of 864 threads, not of 1,024 threads of which half idle
  /// in the last round.
  int64_t blockSizeFor(ArrayRef<Member> members) const {
    SmallVector<int64_t> totals;
    for (Member m : members) {
      SmallVector<int64_t> ranges = m.op.getStaticLoopRanges();
      int64_t total = m.reduction ? ranges.back() : product(ranges);
      if (total > 1) // a one-element op costs every thread alike
        totals.push_back(total);
    }
    if (totals.empty())
      return maxBlockSize;
    int64_t largest = *llvm::max_element(totals);
    auto roundsOf = [](int64_t total, int64_t size) { return (total + size - 1) / size; };
    int64_t rounds = roundsOf(largest, maxBlockSize);
    int64_t best = maxBlockSize, bestSlots = std::numeric_limits<int64_t>::max();
    for (int64_t size = kWarpSize; size <= maxBlockSize; size += kWarpSize) {
      if (roundsOf(largest, size) != rounds)
        continue;
      int64_t slots = 0;
      for (int64_t total : totals)
        slots += roundsOf(total, size) * size;
      if (slots < bestSlots || (slots == bestSlots && size > best)) {
        best = size;
        bestSlots = slots;
      }
    }
    return best;
  }

  /// Largest input that the kernel brings into L2 before it waits.
  static constexpr int64_t kMaxPrefetchBytes = 64 * 1024;
  static constexpr int64_t kLineBytes = 128;

  /// The members' inputs in global memory that are neither weights (preload) nor
  /// written by the kernel, brought into L2 before the kernel waits, a line per thread: the
  /// recurrence's state, which the decode step's stream of matrix weights evicts from L2 every
  /// step, then no longer comes from HBM on the critical path. A prefetch is only a hint and L2
  /// is coherent: an input that the kernel before writes is read after the wait all the same.
  void prefetchInputs(OpBuilder &b, Location loc, ArrayRef<Member> members,
                      ArrayRef<Value> local, Value tid) const {
    SetVector<Value> buffers, written;
    for (const Member &m : members)
      for (OpOperand &init : linalg::LinalgOp(m.op).getDpsInitsMutable())
        written.insert(rootOf(init.get()));
    for (const Member &m : members)
      for (OpOperand *input : linalg::LinalgOp(m.op).getDpsInputOperands())
        if (isWholeGlobalBuffer(input->get()) && !llvm::is_contained(local, input->get()) &&
            !written.contains(rootOf(input->get())) && !isConstantBuffer(input->get()))
          buffers.insert(input->get());
    auto globalPtr = LLVM::LLVMPointerType::get(b.getContext(), /*addressSpace=*/1);
    auto l2 = NVVM::PrefetchCacheLevelAttr::get(b.getContext(), NVVM::PrefetchCacheLevel::L2);
    for (Value buffer : buffers) {
      auto type = cast<MemRefType>(buffer.getType());
      int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
      if (bytes == 0 || bytes > kMaxPrefetchBytes)
        continue;
      // Lines from the buffer's first byte to its last (which may start a further line).
      Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
      if (rootOf(buffer) != buffer) { // a view: from its offset
        auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
        Value offsetBytes = arith::MulIOp::create(
            b, loc, metadata.getOffset(),
            indexConstant(b, loc, type.getElementTypeBitWidth() / 8));
        base = arith::AddIOp::create(b, loc, base, offsetBytes);
      }
      Value lastByte = indexConstant(b, loc, bytes - 1);
      int64_t lines = (bytes + kLineBytes - 1) / kLineBytes + 1;
      for (int64_t first = 0; first < lines; first += blockSize) {
        Value line =
            first ? arith::AddIOp::create(b, loc, tid, indexConstant(b, loc, first)) : tid;
        Value offset = arith::MinUIOp::create(
            b, loc, arith::MulIOp::create(b, loc, line, indexConstant(b, loc, kLineBytes)),
            lastByte);
        Value address = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                   arith::AddIOp::create(b, loc, base, offset));
        Value pointer = LLVM::IntToPtrOp::create(b, loc, globalPtr, address);
        NVVM::PrefetchOp::create(b, loc, l2, /*evictPriority=*/nullptr, pointer,
                                 /*predicate=*/nullptr, /*tensormap=*/nullptr);
      }
    }
  }

  /// Most registers a thread gives to the inputs of one preload.
  static constexpr int64_t kMaxPreloaded = 32;

  /// Each member's inputs that `take` accepts (and nothing in the kernel writes), loaded by each
  /// thread for the elements it will use, in every round, and remembered: the members then take
  /// them from registers. The weights (constants) are loaded so before the kernel waits for the
  /// one before it, the other inputs right after.
  void preload(OpBuilder &b, ArrayRef<Member> members, Value tid, KernelMemory &memory,
               function_ref<bool(Value)> take) {
    int64_t preloaded = 0;
    for (const Member &m : members) {
      linalg::LinalgOp op = m.op;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      for (OpOperand *input : op.getDpsInputOperands()) {
        Value buffer = input->get();
        std::optional<ThreadMap> threads = threadMapOf(m, *input);
        if (!isa<MemRefType>(buffer.getType()) || !take(buffer) || !threads ||
            !memory.unrolled(*threads) || memory.storedValue(buffer, *threads, 0))
          continue;
        int64_t rounds = (threads->total + blockSize - 1) / blockSize;
        if (preloaded + rounds > kMaxPreloaded)
          continue;
        preloaded += rounds;
        Location loc = op.getLoc();
        AffineMap map = op.getMatchingIndexingMap(input);
        SmallVector<Value> values;
        for (int64_t i = 0; i < rounds; ++i) {
          // The iteration this thread makes in round i, as the member will (emitParallel, or
          // foldRow along a reduction's only row).
          Value linear = roundIndex(b, loc, tid, i, threads->total).first;
          SmallVector<Value> ivs;
          if (m.reduction) {
            ivs.assign(ranges.size() - 1, indexConstant(b, loc, 0));
            ivs.push_back(linear);
          } else {
            ivs = delinearize(b, loc, linear, ranges);
          }
          values.push_back(memref::LoadOp::create(b, loc, buffer, applyMap(b, loc, map, ivs)));
        }
        memory.remember(buffer, *threads, std::move(values));
      }
    }
  }

  /// A contiguous buffer of static shape in global memory (a view of one too: a layer's row of
  /// the lower bounds).
  static bool isWholeGlobalBuffer(Value v) {
    auto type = dyn_cast<MemRefType>(v.getType());
    return type && !type.getMemorySpace() && memref::isStaticShapeAndContiguousRowMajor(type) &&
           type.getElementTypeBitWidth() % 8 == 0;
  }

  static constexpr unsigned kPartialsBuffers = 4;
  /// Reductions of one element type that one barrier may serve.
  static constexpr int64_t kMaxGrouped = 4;

  /// The order the members run in: each op after those it depends on (through memory), and,
  /// among the ops that are ready, the parallel ones first (in program order); when only
  /// reductions are ready, all of them, side by side, so that they can share one barrier (the
  /// absmax of each of the projections that read one normalized input).
  static SmallVector<size_t> schedule(ArrayRef<Member> members) {
    size_t n = members.size();
    SmallVector<SmallVector<Access>> touched(n);
    for (size_t i = 0; i < n; ++i)
      touched[i] = touches(members[i]);
    SmallVector<SmallVector<size_t>> after(n); // the earlier members each must follow
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < i; ++j)
        if (conflict(touched[j], touched[i]))
          after[i].push_back(j);
    SmallVector<size_t> order;
    SmallVector<bool> done(n, false);
    while (order.size() < n) {
      SmallVector<size_t> ready;
      for (size_t i = 0; i < n; ++i)
        if (!done[i] && llvm::all_of(after[i], [&](size_t j) { return done[j]; }))
          ready.push_back(i);
      auto parallel = llvm::find_if(ready, [&](size_t i) { return !members[i].reduction; });
      if (parallel != ready.end())
        ready = {*parallel};
      for (size_t i : ready) {
        done[i] = true;
        order.push_back(i);
      }
    }
    return order;
  }

  /// What a member may read and write: its operands (its outputs both), and what its body does.
  static SmallVector<Access> touches(Member m) {
    SmallVector<Access> accesses;
    for (OpOperand &operand : m.op->getOpOperands()) {
      if (!isa<MemRefType>(operand.get().getType()))
        continue;
      accesses.push_back({operand.get(), false, std::nullopt});
      if (m.op.isDpsInit(&operand))
        accesses.push_back({operand.get(), true, std::nullopt});
    }
    appendBodyAccesses(m.op, accesses);
    return accesses;
  }

  static bool conflict(ArrayRef<Access> a, ArrayRef<Access> b) {
    return llvm::any_of(a, [&](const Access &x) {
      return llvm::any_of(b, [&](const Access &y) {
        return (x.write || y.write) &&
               (!x.buffer || !y.buffer || mayAliasInKernel(x.buffer, y.buffer));
      });
    });
  }

  /// The members at the front of `order` that can share one barrier: reductions of a single output
  /// whose initial value every thread knows, independent of each other, at most kMaxGrouped of
  /// each element type.
  SmallVector<Member *> uniformGroup(MutableArrayRef<Member> members, ArrayRef<size_t> order,
                                     const KernelMemory &memory) const {
    SmallVector<Member *> group;
    int64_t f32 = 0, other = 0;
    for (size_t i : order) {
      Member &m = members[i];
      if (!m.reduction || !uniformInitial(m, memory))
        break;
      int64_t &count = outputType(m).isF32() ? f32 : other;
      if (count == kMaxGrouped)
        break;
      SmallVector<Access> mine = touches(m);
      if (llvm::any_of(group, [&](Member *g) { return conflict(touches(*g), mine); }))
        break;
      ++count;
      group.push_back(&m);
    }
    return group;
  }

  /// The redux.sync that combines `m`'s partials across a warp exactly as its combiner does, if
  /// any: an i32 sum, minimum or maximum, and the maximum of absolute values (f32), whose bit
  /// patterns order as signed integers as the values do (the identity, -inf, below them all).
  static std::optional<NVVM::ReduxKind> reduxFor(Member m) {
    Type type = outputType(m);
    const RowReduction &r = *m.reduction;
    using Kind = arith::AtomicRMWKind;
    if (type.isInteger(32)) {
      switch (r.kind) {
      case Kind::addi:
        return NVVM::ReduxKind::ADD;
      case Kind::maxs:
        return NVVM::ReduxKind::MAX;
      case Kind::mins:
        return NVVM::ReduxKind::MIN;
      case Kind::maxu:
        return NVVM::ReduxKind::UMAX;
      case Kind::minu:
        return NVVM::ReduxKind::UMIN;
      default:
        return std::nullopt;
      }
    }
    Value element = r.combiner->getOperand(1 - r.outOperand);
    if (type.isF32() && r.kind == Kind::maximumf && element.getDefiningOp<math::AbsFOp>())
      return NVVM::ReduxKind::MAX;
    return std::nullopt;
  }

  static Type outputType(Member m) {
    return cast<MemRefType>(m.op.getDpsInitOperand(0)->get().getType()).getElementType();
  }

  /// Thread 0 stores a reduction's total for the kernels after this one.
  static void storeFromThreadZero(OpBuilder &b, Location loc, Member m, Value tid, Value result) {
    OpOperand *init = m.op.getDpsInitOperand(0);
    Value zero = indexConstant(b, loc, 0);
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, zero);
    scf::IfOp::create(b, loc, first, [&](OpBuilder &tb, Location loc) {
      SmallVector<Value> at(m.op.getNumLoops(), zero);
      memref::StoreOp::create(tb, loc, result, init->get(),
                              applyMap(tb, loc, m.op.getMatchingIndexingMap(init), at));
      scf::YieldOp::create(tb, loc);
    });
  }

  /// Reductions of `group` (see uniformGroup) with one barrier: every thread folds its share of
  /// each row, then the block combines them all at once, and every thread holds every total.
  void emitReductionGroup(OpBuilder &b, ArrayRef<Member *> group, gpu::LaunchOp launch,
                          int64_t turn, Value tid, KernelMemory &memory) {
    Location loc = group.front()->op.getLoc();
    int64_t warps = blockSize / kWarpSize;
    SmallVector<Value> partials, initials;
    SmallVector<Access> onEntry;
    int64_t f32 = 0, other = 0;
    SmallVector<int64_t> offsets;
    for (Member *m : group) {
      partials.push_back(partialsFor(*m, launch, turn));
      offsets.push_back(warps * (outputType(*m).isF32() ? f32++ : other++));
      initials.push_back(uniformInitial(*m, memory));
      llvm::append_range(onEntry, accessesOnEntry(*m, partials.back()));
    }
    if (memory.mustWait(onEntry)) {
      gpu::BarrierOp::create(b, loc);
      memory.barrier();
    }
    // The combiners outlive the BlockReductions that refer to them.
    SmallVector<std::function<Value(OpBuilder &, Value, Value)>> combiners;
    for (Member *m : group)
      combiners.push_back([r = *m->reduction](OpBuilder &cb, Value x, Value y) {
        return combine(cb, r, x, y);
      });
    SmallVector<BlockReduction> reductions;
    for (auto [i, m] : llvm::enumerate(group)) {
      SmallVector<int64_t> ranges = m->op.getStaticLoopRanges();
      SmallVector<Value> ivs(ranges.size() - 1, indexConstant(b, loc, 0));
      Value identity = arith::getIdentityValue(m->reduction->kind, outputType(*m), b, loc);
      Value partial = foldRow(b, loc, *m, ivs, tid, ranges.back(), identity, memory);
      reductions.push_back({partial, partials[i], offsets[i], identity, combiners[i], reduxFor(*m)});
    }
    SmallVector<Value> totals = blockReduceToAll(b, loc, reductions, tid, blockSize);
    memory.barrier(); // the one inside blockReduceToAll
    for (auto [i, m] : llvm::enumerate(group)) {
      Value result = combine(b, *m->reduction, totals[i], initials[i]);
      storeFromThreadZero(b, loc, *m, tid, result);
      forgetWrites(*m, memory);
      memory.rememberUniform(m->op.getDpsInitOperand(0)->get(), result);
      memory.record(accessesOnExit(*m, partials[i], /*endsWithBarrier=*/false));
    }
  }

  /// The workgroup buffer of one slot per warp that the `turn`-th reduction of the kernel, of
  /// `m`'s element type, combines in (the two buffers of a type alternate).
  static Value partialsFor(Member m, gpu::LaunchOp launch, int64_t turn) {
    Type elementType = cast<MemRefType>(m.op.getDpsInitOperand(0)->get().getType()).getElementType();
    return launch.getWorkgroupAttributions()[(elementType.isF32() ? 0 : 1) + 2 * (turn % 2)];
  }

  /// A workgroup buffer nothing reads any more (each element came from a register) is neither
  /// stored to nor allocated.
  static void dropUnreadWorkgroupBuffers(gpu::LaunchOp launch) {
    unsigned count = launch.getNumWorkgroupAttributions();
    for (int i = int(count) - 1; i >= 0; --i) {
      BlockArgument buffer = launch.getWorkgroupAttributions()[i];
      bool onlyStored = llvm::all_of(buffer.getUsers(), [&](Operation *user) {
        auto store = dyn_cast<memref::StoreOp>(user);
        return store && store.getMemRef() == buffer;
      });
      if (!onlyStored)
        continue;
      for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
        user->erase();
      launch.getBody().front().eraseArgument(buffer.getArgNumber());
      --count;
    }
    launch->setAttr(gpu::LaunchOp::getNumWorkgroupAttributionsAttrName(),
                    IntegerAttr::get(IntegerType::get(launch.getContext(), 64), count));
  }

  /// What `memory` holds for the element of `operand` that iteration round `round` of member `m`
  /// reads (null: it must be loaded).
  static Value storedValue(const KernelMemory &memory, Member m, OpOperand &operand,
                           int64_t round) {
    if (Value uniform = memory.uniformValue(operand.get()))
      return uniform;
    std::optional<ThreadMap> threads = threadMapOf(m, operand);
    return threads ? memory.storedValue(operand.get(), *threads, round) : Value();
  }

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

  static constexpr int64_t kMaxUnrolledRounds = KernelMemory::kMaxUnrolledRounds;

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

  /// Thread tid does the iterations tid, tid + blockSize, ... The elements `memory` knows this
  /// thread stored are taken from it, and what the op stores is remembered there.
  void emitParallel(OpBuilder &b, Member m, Value tid, KernelMemory &memory) {
    linalg::LinalgOp op = m.op;
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
                           IRMapping mapping = loadIterationOperands(
                               lb, loc, op, ivs, nullptr, [&](OpOperand &operand) {
                                 return memory.uniformValue(operand.get());
                               });
                           cloneIterationBody(lb, op, mapping, ivs);
                           store(lb, loc, mapping, ivs);
                           scf::YieldOp::create(lb, loc);
                         });
      forgetWrites(m, memory);
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
      auto known = [&](OpOperand &operand) { return storedValue(memory, m, operand, i); };
      all[i].mapping = loadIterationOperands(b, loc, op, all[i].ivs, nullptr, known);
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
    forgetWrites(m, memory);
    OpOperand *init = op.getDpsInitOperand(0);
    auto initType = cast<MemRefType>(init->get().getType());
    if (total == 1 && initType.hasStaticShape() && initType.getNumElements() == 1 &&
        !bodyTouchesMemory(op)) {
      // One element (a quantization scale from a reduction's total): every thread made the same
      // iteration from the same inputs, so every thread holds what thread 0 stored, and what
      // reads it later takes it from a register, after no barrier.
      memory.rememberUniform(init->get(), all[0].mapping.lookupOrDefault(yield->getOperand(0)));
      return;
    }
    if (std::optional<ThreadMap> threads = threadMapOf(m, *init)) {
      SmallVector<Value> stored;
      for (Round &round : all)
        stored.push_back(round.mapping.lookupOrDefault(yield->getOperand(0)));
      memory.remember(init->get(), *threads, std::move(stored));
    }
  }

  /// The initial value of the single output of reduction `m` when every thread knows it: a
  /// constant this kernel filled it with (every thread computed that fill's one element alike).
  static Value uniformInitial(Member m, const KernelMemory &memory) {
    SmallVector<int64_t> ranges = m.op.getStaticLoopRanges();
    OpOperand *init = m.op.getDpsInitOperand(0);
    auto type = cast<MemRefType>(init->get().getType());
    if (product(ArrayRef(ranges).drop_back()) != 1 || !type.hasStaticShape() ||
        type.getNumElements() != 1)
      return Value();
    if (Value uniform = memory.uniformValue(init->get()))
      return uniform;
    ThreadMap one;
    one.total = 1;
    one.linear = true;
    Value stored = memory.storedValue(init->get(), one, 0);
    return stored && matchPattern(stored, m_Constant()) ? stored : Value();
  }

  /// What a member writes (its output, and anything its body writes) is no longer known to hold
  /// what this thread stored there before.
  static void forgetWrites(Member m, KernelMemory &memory) {
    memory.forget(m.op.getDpsInitOperand(0)->get());
    SmallVector<Access> body;
    appendBodyAccesses(m.op, body);
    for (Access &access : body)
      if (access.write)
        memory.forget(access.buffer); // null: anything
  }

  /// This thread's share of one output's row: elements tid, tid + blockSize, ... combined; those
  /// `memory` knows this thread stored are taken from it.
  Value foldRow(OpBuilder &b, Location loc, Member m, ValueRange ivs, Value tid,
                int64_t length, Value identity, const KernelMemory &memory) {
    linalg::LinalgOp op = m.op;
    const RowReduction &r = *m.reduction;
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
            IRMapping mapping = loadIterationOperands(
                lb, loc, op, at, r.combiner,
                [&](OpOperand &operand) { return memory.uniformValue(operand.get()); });
            cloneIterationBody(lb, op, mapping, at, r.combiner);
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
      auto known = [&](OpOperand &operand) { return storedValue(memory, m, operand, i); };
      mappings.push_back(loadIterationOperands(b, loc, op, indices, r.combiner, known));
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

  /// Each output in turn: the block folds its row, thread 0 combines it into the output. Outputs
  /// after the first wait for warp 0 to have read the partials of the one before
  /// (`endsWithBarrier`: so does what follows the last); a single output leaves that to the
  /// members after it.
  void emitReduction(OpBuilder &b, Member m, Value partials, Value tid,
                     KernelMemory &memory, bool endsWithBarrier) {
    linalg::LinalgOp op = m.op;
    const RowReduction &r = *m.reduction;
    Location loc = op.getLoc();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    OpOperand *init = op.getDpsInitOperand(0);
    Type elementType = cast<MemRefType>(init->get().getType()).getElementType();
    if (Value initial = uniformInitial(m, memory)) {
      // One output whose initial value every thread knows (a fill in this kernel): every thread
      // computes the total, so what reads it later takes it from a register, after no barrier.
      Value zero = indexConstant(b, loc, 0);
      SmallVector<Value> ivs(ranges.size() - 1, zero);
      Value identity = arith::getIdentityValue(r.kind, elementType, b, loc);
      Value partial = foldRow(b, loc, m, ivs, tid, ranges.back(), identity, memory);
      auto combiner = [&](OpBuilder &cb, Value x, Value y) { return combine(cb, r, x, y); };
      Value total = blockReduceToAll(
          b, loc, {BlockReduction{partial, partials, 0, identity, combiner, reduxFor(m)}}, tid,
          blockSize)[0];
      Value result = combine(b, r, total, initial);
      storeFromThreadZero(b, loc, m, tid, result);
      memory.barrier(); // the one inside blockReduceToAll
      forgetWrites(m, memory);
      memory.rememberUniform(init->get(), result);
      return;
    }
    scf::ForOp::create(
        b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, product(ArrayRef(ranges).drop_back())),
        indexConstant(b, loc, 1), ValueRange{},
        [&](OpBuilder &ob, Location loc, Value output, ValueRange) {
          SmallVector<Value> ivs = delinearize(ob, loc, output, ArrayRef(ranges).drop_back());
          Value identity = arith::getIdentityValue(r.kind, elementType, ob, loc);
          Value partial = foldRow(ob, loc, m, ivs, tid, ranges.back(), identity, memory);
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
          if (endsWithBarrier)
            gpu::BarrierOp::create(ob, loc);
          scf::YieldOp::create(ob, loc);
        });
    forgetWrites(m, memory);
  }
};

/// Moves each small op up past the kernels (and small ops) it does not depend on, so that
/// independent work (the prologues of the three projections that read one input) lands in
/// one run instead of one run between each two kernels.
void gather(Block &block, function_ref<bool(Operation *)> small) {
  // Far enough for the three projections that share an input; an op that depends on nothing
  // computed (a fill, a copy of the state) would otherwise float to the top of the function.
  constexpr int kMaxKernelsCrossed = 3;
  SmallVector<Operation *> candidates;
  for (Operation &op : block)
    if (small(&op))
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
      if (small(stop) && commutes(effects, effectsOf(cast<linalg::LinalgOp>(stop)))) {
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
void gatherKernels(Block &block, function_ref<bool(Operation *)> small) {
  SmallVector<gpu::LaunchOp> launches(block.getOps<gpu::LaunchOp>());
  for (gpu::LaunchOp launch : launches) {
    Effects effects = effectsOf(launch);
    Operation *stop = launch->getPrevNode();
    bool crossed = false;
    for (; stop; stop = stop->getPrevNode()) {
      if (RunFuser::isTransparent(stop))
        continue;
      if (small(stop) && commutes(effectsOf(cast<linalg::LinalgOp>(stop)), effects)) {
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

/// Last, moves each fill down again to just before the first op that touches what it fills:
/// gathered into an earlier kernel, it would leave the reduction it starts to load its initial
/// value, where in the reduction's own kernel every thread knows it.
void sinkFills(Block &block, function_ref<bool(Operation *)> small) {
  SmallVector<linalg::FillOp> fills;
  for (Operation &op : block)
    if (auto fill = dyn_cast<linalg::FillOp>(op); fill && small(fill))
      fills.push_back(fill);
  for (linalg::FillOp fill : fills) {
    Effects effects = effectsOf(cast<linalg::LinalgOp>(fill.getOperation()));
    Operation *user = nullptr;
    for (Operation *next = fill->getNextNode(); next; next = next->getNextNode()) {
      if (RunFuser::isTransparent(next))
        continue;
      std::optional<Effects> other;
      if (auto launch = dyn_cast<gpu::LaunchOp>(next))
        other = effectsOf(launch);
      else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(next))
        other = effectsOf(linalgOp);
      if (!other || !commutes(effects, *other)) {
        user = next;
        break;
      }
    }
    // Past a deallocation of the filled buffer it would write freed memory.
    if (!user || llvm::any_of(fill->getOperand(1).getUsers(), [&](Operation *u) {
          return isa<gpu::DeallocOp, memref::DeallocOp>(u) && u->getBlock() == &block &&
                 fill->isBeforeInBlock(u) && u->isBeforeInBlock(user);
        }))
      continue;
    fill->moveBefore(user);
  }
}

/// The block size of the matrix-vector kernel `next` when it reads what `members` write and is
/// marked to take the kernel before it as a prologue (kPrologueTargetAttr): that kernel then runs
/// in each of its blocks, with its threads.
std::optional<int64_t> prologueThreads(ArrayRef<Member> members, Operation *next) {
  auto launch = dyn_cast_or_null<gpu::LaunchOp>(next);
  if (!launch || !launch->hasAttr(kPrologueTargetAttr) || members.empty())
    return std::nullopt;
  std::optional<int64_t> threads = constantOf(launch.getBlockSizeX());
  if (!threads)
    return std::nullopt;
  Effects effects = effectsOf(launch);
  bool feeds = llvm::any_of(members, [&](const Member &m) {
    return anyMayAlias(effectsOf(linalg::LinalgOp(m.op)).writes, effects.reads);
  });
  if (!feeds || *threads % kWarpSize != 0 || *threads > 1024)
    return std::nullopt;
  return threads;
}

//===----------------------------------------------------------------------===//
// Runs over rows of a dynamic count (row-blocks): one block per row.
//===----------------------------------------------------------------------===//

/// Marks the scf.parallel over rows whose body is one run, to become a kernel of a block per row.
constexpr llvm::StringLiteral kRowBlocksAttr = "tern.row_blocks";

/// What a row operand's count of rows is known by: the size its allocation or view was made with,
/// else the buffer itself (its first dimension).
Value rowCountKey(Value v) {
  if (Value size = allocatedSize(v, 0))
    return size;
  if (auto view = v.getDefiningOp<memref::SubViewOp>())
    if (auto size = dyn_cast<Value>(view.getMixedSizes().front()))
      return size;
  return v;
}

/// Whether `operand` of `op` is read or written per row: its map's first result is loop 0, which
/// no other result uses.
bool isRowOperand(linalg::LinalgOp op, OpOperand &operand) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  return map.getNumResults() > 0 && map.getResult(0) == getAffineDimExpr(0, op.getContext());
}

/// The row-count keys of a linalg op over rows of a dynamic count (see the pass description), or
/// nothing when it is not one.
std::optional<SmallVector<Value>> matchRowOp(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !isa<linalg::GenericOp, linalg::FillOp, linalg::CopyOp>(op) ||
      !linalgOp.hasPureBufferSemantics() || op->getParentOfType<gpu::LaunchOp>() ||
      linalgOp.getNumDpsInits() != 1 || linalgOp.getNumLoops() < 1 ||
      linalgOp.getIteratorTypesArray().front() != utils::IteratorType::parallel ||
      bodyTouchesMemory(linalgOp))
    return std::nullopt;
  SmallVector<Value> keys;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue; // a scalar (a fill's value)
    AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
    if (!isRowOperand(linalgOp, operand)) {
      if (map.isFunctionOfDim(0) || !type.hasStaticShape() || linalgOp.isDpsInit(&operand))
        return std::nullopt;
      continue;
    }
    if (type.getRank() != int64_t(map.getNumResults()) || !type.isDynamicDim(0))
      return std::nullopt;
    for (unsigned i = 1; i < map.getNumResults(); ++i)
      if (map.getResult(i).isFunctionOfDim(0) || type.isDynamicDim(i))
        return std::nullopt;
    keys.push_back(rowCountKey(operand.get()));
  }
  bool rowIndex = false;
  op->walk([&](linalg::IndexOp index) { rowIndex |= index.getDim() == 0; });
  if (keys.empty() || rowIndex)
    return std::nullopt;
  return keys;
}

/// Row-count keys known to be equal: the operands of one linalg op have one row count.
class RowCounts {
public:
  Value find(Value key) {
    auto it = parent.find(key);
    if (it == parent.end() || it->second == key)
      return key;
    return it->second = find(it->second);
  }
  void unite(Value a, Value b) {
    a = find(a);
    b = find(b);
    if (a != b)
      parent[a] = b;
  }

private:
  llvm::DenseMap<Value, Value> parent;
};

/// Wraps a run of row ops (`members`, in order; `run` also holds the transparent ops between them)
/// in an scf.parallel over the rows, marked kRowBlocksAttr, whose body runs them on row views of
/// static shape, each of which RunFuser takes. Leaves everything as it was and returns false where
/// a member would not be taken or the kernel's parameters would not fit.
bool wrapRowRun(ArrayRef<Operation *> run, ArrayRef<Operation *> members, const RunFuser &fuser) {
  Operation *last = members.back();
  OpBuilder b(last->getContext());
  b.setInsertionPointAfter(last);
  Location loc = last->getLoc();
  // The row count: from the last member's first row operand, which every member's row count
  // equals.
  linalg::LinalgOp lastOp = cast<linalg::LinalgOp>(last);
  Value rows;
  for (OpOperand &operand : last->getOpOperands())
    if (isa<MemRefType>(operand.get().getType()) && isRowOperand(lastOp, operand)) {
      rows = rowCountKey(operand.get());
      if (isa<MemRefType>(rows.getType()))
        rows = memref::DimOp::create(b, loc, rows, 0);
      break;
    }
  Value zero = indexConstant(b, loc, 0), one = indexConstant(b, loc, 1);
  auto parallel = scf::ParallelOp::create(b, loc, ValueRange{zero}, ValueRange{rows},
                                          ValueRange{one});
  parallel->setAttr(kRowBlocksAttr, b.getUnitAttr());
  OpBuilder body = OpBuilder::atBlockBegin(parallel.getBody());
  Value row = parallel.getInductionVars().front();
  IRMapping mapping;
  bool taken = true;
  SmallVector<Value> passed;
  int64_t bytes = 0;
  for (Operation *op : members) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    for (OpOperand &operand : op->getOpOperands()) {
      Value v = operand.get();
      if (!isa<MemRefType>(v.getType()) || !isRowOperand(linalgOp, operand) || mapping.contains(v))
        continue;
      auto type = cast<MemRefType>(v.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), body.getIndexAttr(0)),
          sizes, strides(type.getRank(), body.getIndexAttr(1));
      offsets[0] = row;
      sizes.push_back(body.getIndexAttr(1));
      for (int64_t i = 1; i < type.getRank(); ++i)
        sizes.push_back(body.getIndexAttr(type.getDimSize(i)));
      mapping.map(v, memref::SubViewOp::create(body, loc, v, offsets, sizes, strides).getResult());
    }
    Operation *clone = body.clone(*op, mapping);
    taken &= fuser.match(clone).has_value();
    for (Value v : clone->getOperands())
      if (!llvm::is_contained(passed, v)) {
        passed.push_back(v);
        bytes += parameterBytes(v);
      }
  }
  if (!taken || bytes > kMaxParameterBytes) {
    parallel.erase();
    return false;
  }
  // A buffer freed between the members is freed after them.
  freeAfter(run, members, parallel);
  for (Operation *op : llvm::reverse(members))
    op->erase();
  return true;
}

/// Each maximal run of at least two row ops of one row count in `block`, wrapped (wrapRowRun).
void wrapRowRuns(Block &block, const RunFuser &fuser) {
  RowCounts counts;
  for (Operation &op : block)
    if (std::optional<SmallVector<Value>> keys = matchRowOp(&op))
      for (Value key : *keys)
        counts.unite(key, keys->front());
  SmallVector<Operation *> run, members;
  Value runCount;
  auto flush = [&] {
    if (members.size() >= 2)
      wrapRowRun(run, members, fuser);
    run.clear();
    members.clear();
    runCount = nullptr;
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (std::optional<SmallVector<Value>> keys = matchRowOp(&op)) {
      Value count = counts.find(keys->front());
      if (runCount && count != runCount)
        flush();
      runCount = count;
      run.push_back(&op);
      members.push_back(&op);
    } else if (RunFuser::isTransparent(&op)) {
      if (!members.empty())
        run.push_back(&op);
    } else {
      flush();
    }
  }
  flush();
}

/// The run in the body of each scf.parallel marked kRowBlocksAttr, fused into one kernel, which
/// then takes the loop's place with a block per row: the body's views move into the kernel, at
/// the block's row.
void fuseRowBlocks(func::FuncOp func, RunFuser &fuser) {
  SmallVector<scf::ParallelOp> loops;
  func.walk([&](scf::ParallelOp loop) {
    if (loop->hasAttr(kRowBlocksAttr))
      loops.push_back(loop);
  });
  for (scf::ParallelOp loop : loops) {
    Block &body = *loop.getBody();
    SmallVector<Operation *> run;
    SmallVector<Member> members;
    for (Operation &op : body.without_terminator()) {
      run.push_back(&op);
      if (std::optional<Member> m = fuser.match(&op))
        members.push_back(*m);
    }
    fuser.fuse(run, members);
    SmallVector<gpu::LaunchOp> launches(body.getOps<gpu::LaunchOp>());
    assert(launches.size() == 1 && "a wrapped run is one kernel");
    gpu::LaunchOp launch = launches.front();
    // The launch's sizes (constants) go before the loop, the rest of the body into the kernel.
    for (Value size : launch->getOperands())
      if (Operation *def = size.getDefiningOp(); def && def->getBlock() == &body)
        def->moveBefore(loop);
    Block &kernel = launch.getBody().front();
    Operation *start = &kernel.front();
    for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
      if (&op != launch.getOperation())
        op.moveBefore(start);
    loop.getInductionVars().front().replaceAllUsesWith(launch.getBlockIds().x);
    launch.getGridSizeXMutable().assign(loop.getUpperBound().front());
    launch->moveBefore(loop);
    loop.erase();
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
    RunFuser fuser(blockSize, maxElements, maxOutputs, dependentLaunch);
    // Over rows of a dynamic count, the same moves (the three projections' prologues into one
    // run), then each run in a loop over the rows, fused below.
    auto rowOp = [](Operation *op) { return matchRowOp(op).has_value(); };
    if (rowBlocks)
      for (Block &block : getOperation().getBody()) {
        gather(block, rowOp);
        gatherKernels(block, rowOp);
        sinkFills(block, rowOp);
        wrapRowRuns(block, fuser);
      }
    auto small = [&](Operation *op) { return fuser.match(op).has_value(); };
    for (Block &block : getOperation().getBody()) {
      gather(block, small);
      gatherKernels(block, small);
      sinkFills(block, small);
    }
    for (Block &block : getOperation().getBody()) {
      SmallVector<Operation *> run;
      SmallVector<Member> members;
      Operation *end = nullptr; // the op that ended the run
      auto flush = [&] {
        // Kernel parameters are limited (4 KiB before PTX 8.1): a run that would pass more
        // buffers than fit is split into several kernels.
        SmallVector<Member> chunk;
        llvm::DenseSet<Value> passed;
        int64_t bytes = 0;
        auto emit = [&](std::optional<int64_t> threads = std::nullopt) {
          if (chunk.size() >= 2)
            fuser.fuse(run, chunk, threads);
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
        emit(prologueThreads(chunk, end));
        run.clear();
        members.clear();
      };
      // Fusing erases ops anywhere after the run (the deallocations of buffers moved to shared
      // memory), but never the op that ended the run: the walk goes on from that one.
      for (Operation *op = block.empty() ? nullptr : &block.front(); op; op = op->getNextNode()) {
        if (std::optional<Member> m = fuser.match(op)) {
          run.push_back(op);
          members.push_back(*m);
        } else if (RunFuser::isTransparent(op)) {
          run.push_back(op);
        } else {
          end = op;
          flush();
        }
      }
      end = nullptr;
      flush();
    }
    if (rowBlocks)
      fuseRowBlocks(getOperation(), fuser);
  }
};

} // namespace
