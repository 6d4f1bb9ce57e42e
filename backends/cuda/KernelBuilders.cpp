//===- KernelBuilders.cpp - pieces the GPU kernel passes share ------------===//
#include "backends/cuda/KernelBuilders.h"
#include "compiler/Conversion/TernToLinalg/KernelMarkers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace tern::cuda {

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value gridX, Value gridY, int64_t threads,
                           TypeRange workgroupBuffers) {
  Value one = indexConstant(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, gridX, gridY, one, indexConstant(b, loc, threads),
                                      one, one, /*dynamicSharedMemorySize=*/nullptr,
                                      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
                                      workgroupBuffers);
  Block &body = launch.getBody().front();
  b.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&body);
  return launch;
}

Value warpReduce(OpBuilder &b, Location loc, Value value,
                 llvm::function_ref<Value(Value, Value)> combine) {
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    auto shuffle = gpu::ShuffleOp::create(b, loc, value, offset, kWarpSize, gpu::ShuffleMode::XOR);
    value = combine(value, shuffle.getShuffleResult());
  }
  return value;
}

Value allocatedSize(Value buffer, int64_t dim) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || dim < 0 || dim >= type.getRank() || !type.isDynamicDim(dim))
    return nullptr;
  ValueRange sizes;
  if (auto alloc = buffer.getDefiningOp<gpu::AllocOp>())
    sizes = alloc.getDynamicSizes();
  else if (auto alloc = buffer.getDefiningOp<memref::AllocOp>())
    sizes = alloc.getDynamicSizes();
  else
    return nullptr;
  return sizes[type.getDynamicDimIndex(dim)];
}

Value unrolledEnd(OpBuilder &b, Location loc, Value begin, Value end, Value step) {
  Value rounds = arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, end, begin), step);
  return arith::AddIOp::create(b, loc, begin, arith::MulIOp::create(b, loc, rounds, step));
}

std::optional<int64_t> constantOf(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  if (auto dim = v.getDefiningOp<memref::DimOp>())
    if (std::optional<int64_t> index = dim.getConstantIndex())
      if (auto type = dyn_cast<MemRefType>(dim.getSource().getType());
          type && !type.isDynamicDim(*index))
        return type.getDimSize(*index);
  return std::nullopt;
}

bool isAllocationOrPure(Operation *op) {
  return isa<gpu::AllocOp, gpu::DeallocOp, memref::AllocOp, memref::DeallocOp>(op) ||
         isMemoryEffectFree(op);
}

Value warpRedux(OpBuilder &b, Location loc, Value value, NVVM::ReduxKind kind) {
  Type i32 = b.getI32Type(), type = value.getType();
  if (type != i32)
    value = arith::BitcastOp::create(b, loc, i32, value);
  Value everyLane = arith::ConstantIntOp::create(b, loc, i32, -1);
  Value total = NVVM::ReduxOp::create(b, loc, i32, value, kind, everyLane);
  return type == i32 ? total : arith::BitcastOp::create(b, loc, type, total).getResult();
}

namespace {

/// The associative operation that folds elements into the output.
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

} // namespace

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

SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    indices.push_back(affine::AffineApplyOp::create(b, loc, map.getSubMap({i}), ivs));
  return indices;
}

Value combine(OpBuilder &b, const RowReduction &r, Value element, Value acc) {
  IRMapping mapping;
  mapping.map(r.combiner->getOperand(r.outOperand), acc);
  mapping.map(r.combiner->getOperand(1 - r.outOperand), element);
  return b.clone(*r.combiner, mapping)->getResult(0);
}

IRMapping loadIterationOperands(OpBuilder &b, Location loc, linalg::LinalgOp op, ValueRange ivs,
                                 Operation *skip, function_ref<Value(OpOperand &)> forwarded) {
  IRMapping mapping;
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    Value value = operand.get();
    if (isa<MemRefType>(value.getType())) {
      if (op.isDpsInit(&operand) &&
          llvm::all_of(arg.getUsers(), [&](Operation *user) { return user == skip; }))
        continue; // an output the body does not read (or only `skip` reads)
      Value known = forwarded ? forwarded(operand) : Value();
      value = known ? known
                    : memref::LoadOp::create(
                          b, loc, value, applyMap(b, loc, op.getMatchingIndexingMap(&operand), ivs))
                          .getResult();
    }
    mapping.map(arg, value);
  }
  return mapping;
}

void cloneIterationBody(OpBuilder &b, linalg::LinalgOp op, IRMapping &mapping, ValueRange ivs,
                        Operation *skip) {
  for (Operation &inner : op.getBlock()->without_terminator()) {
    if (&inner == skip)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
}

IRMapping buildIteration(OpBuilder &b, Location loc, linalg::LinalgOp op, ValueRange ivs,
                         Operation *skip) {
  IRMapping mapping = loadIterationOperands(b, loc, op, ivs, skip);
  cloneIterationBody(b, op, mapping, ivs, skip);
  return mapping;
}

namespace {
/// Each warp's total of each value into its slot of that value's partials, then one barrier; the
/// lane and warp of `tid`.
std::pair<Value, Value> publishWarpTotals(OpBuilder &b, Location loc,
                                          ArrayRef<BlockReduction> reductions, Value tid) {
  SmallVector<Value> warpTotals;
  for (const BlockReduction &r : reductions)
    warpTotals.push_back(
        r.redux ? warpRedux(b, loc, r.value, *r.redux)
                : warpReduce(b, loc, r.value, [&](Value x, Value y) { return r.combine(b, x, y); }));
  Value warpSize = indexConstant(b, loc, kWarpSize);
  Value lane = arith::RemUIOp::create(b, loc, tid, warpSize);
  Value warp = arith::DivUIOp::create(b, loc, tid, warpSize);
  Value firstLane =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, indexConstant(b, loc, 0));
  scf::IfOp::create(b, loc, firstLane, [&](OpBuilder &ib, Location loc) {
    for (auto [r, total] : llvm::zip(reductions, warpTotals)) {
      Value slot = arith::AddIOp::create(ib, loc, warp, indexConstant(ib, loc, r.offset));
      memref::StoreOp::create(ib, loc, total, r.partials, ValueRange{slot});
    }
    scf::YieldOp::create(ib, loc);
  });
  gpu::BarrierOp::create(b, loc);
  return {lane, warp};
}

/// The warps' totals combined by one warp: lane l takes slot l (the identity past the last).
Value combinePartials(OpBuilder &b, Location loc, const BlockReduction &r, Value lane,
                      int64_t warps) {
  Value zero = indexConstant(b, loc, 0);
  Value hasPartial =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lane, indexConstant(b, loc, warps));
  Value slot = arith::SelectOp::create(b, loc, hasPartial, lane, zero);
  slot = arith::AddIOp::create(b, loc, slot, indexConstant(b, loc, r.offset));
  Value partial = memref::LoadOp::create(b, loc, r.partials, ValueRange{slot});
  partial = arith::SelectOp::create(b, loc, hasPartial, partial, r.identity);
  if (r.redux)
    return warpRedux(b, loc, partial, *r.redux);
  return warpReduce(b, loc, partial, [&](Value x, Value y) { return r.combine(b, x, y); });
}
} // namespace

SmallVector<Value> blockReduceToAll(OpBuilder &b, Location loc,
                                    ArrayRef<BlockReduction> reductions, Value tid,
                                    int64_t blockSize) {
  auto [lane, warp] = publishWarpTotals(b, loc, reductions, tid);
  SmallVector<Value> totals;
  for (const BlockReduction &r : reductions)
    totals.push_back(combinePartials(b, loc, r, lane, blockSize / kWarpSize));
  return totals;
}

Value blockReduceToAll(OpBuilder &b, Location loc, Value value, Value partials, Value tid,
                       int64_t blockSize, Value identity,
                       function_ref<Value(OpBuilder &, Value, Value)> combine) {
  return blockReduceToAll(b, loc, {BlockReduction{value, partials, 0, identity, combine}}, tid,
                          blockSize)
      .front();
}

void blockReduce(OpBuilder &b, Location loc, Value value, Value partials, Value tid,
                 int64_t blockSize, Value identity,
                 function_ref<Value(OpBuilder &, Value, Value)> combine,
                 function_ref<void(OpBuilder &, Location, Value)> atTotal) {
  BlockReduction r{value, partials, 0, identity, combine};
  auto [lane, warp] = publishWarpTotals(b, loc, r, tid);
  Value zero = indexConstant(b, loc, 0);
  Value firstWarp = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, warp, zero);
  scf::IfOp::create(b, loc, firstWarp, [&](OpBuilder &ib, Location loc) {
    Value total = combinePartials(ib, loc, r, lane, blockSize / kWarpSize);
    Value firstThread = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::eq, lane, zero);
    scf::IfOp::create(ib, loc, firstThread, [&](OpBuilder &tb, Location loc) {
      atTotal(tb, loc, total);
      scf::YieldOp::create(tb, loc);
    });
    scf::YieldOp::create(ib, loc);
  });
}

namespace {

/// The next linalg.generic after `op` in its block, if only ops without memory writes (allocation
/// aside) lie between them.
linalg::GenericOp nextGeneric(Operation *op) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (auto generic = dyn_cast<linalg::GenericOp>(next))
      return generic;
    if (isa<gpu::AllocOp, memref::AllocOp>(next) || isMemoryEffectFree(next))
      continue;
    return nullptr;
  }
  return nullptr;
}

/// Whether `consumer` reads `buffer` only element by element and writes one element per
/// iteration, over exactly the buffer's index space.
bool isElementwiseConsumer(linalg::GenericOp consumer, Value buffer) {
  if (!consumer.hasPureBufferSemantics() || consumer.getNumDpsInits() != 1 ||
      consumer.getNumReductionLoops() != 0)
    return false;
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || consumer.getNumLoops() != unsigned(type.getRank()))
    return false;
  OpOperand *init = consumer.getDpsInitOperand(0);
  if (!consumer.getMatchingIndexingMap(init).isIdentity() ||
      !consumer.getRegion().front().getArgument(init->getOperandNumber()).use_empty() ||
      init->get() == buffer)
    return false;
  bool readsBuffer = false;
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    if (input->get() != buffer)
      continue;
    if (!consumer.getMatchingIndexingMap(input).isIdentity())
      return false;
    readsBuffer = true;
  }
  return readsBuffer;
}

/// The buffers (roots) that `op` reads: a linalg op's inputs, the buffers a kernel loads from.
SmallVector<Value> buffersRead(Operation *op) {
  SmallVector<Value> read;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      if (isa<MemRefType>(input->get().getType()))
        read.push_back(rootOf(input->get()));
    return read;
  }
  op->walk([&](Operation *inner) {
    if (auto load = dyn_cast<memref::LoadOp>(inner))
      read.push_back(rootOf(load.getMemRef()));
    else if (auto load = dyn_cast<vector::LoadOp>(inner))
      read.push_back(rootOf(load.getBase()));
  });
  return read;
}

/// Whether what `kernel` computes depends on what `writer` (an op of the same block before it)
/// writes: a buffer `writer` writes is read, directly or through the ops before `kernel` that
/// write what it reads, by `kernel`'s inputs. The down projection depends so on the output
/// projection's kernel, which updates the residual stream its input is normalized from; the
/// forget projection does not depend on the input projection's.
bool dependsOnWriter(Operation *kernel, Operation *writer, Operation *product) {
  Block *block = kernel->getBlock();
  SmallVector<Value> work = buffersRead(product);
  DenseSet<Value> seen;
  DenseSet<Operation *> expanded;
  while (!work.empty()) {
    Value root = work.pop_back_val();
    if (!seen.insert(root).second)
      continue;
    for (Operation *user : root.getUsers()) {
      // The op of the block that holds the user: itself, or the kernel a store of it lies in.
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top || !top->isBeforeInBlock(kernel))
        continue;
      bool writes = false;
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(user))
        writes = llvm::any_of(linalgOp.getDpsInits(),
                              [&](Value init) { return rootOf(init) == root; });
      else if (isa<memref::StoreOp, vector::StoreOp>(user))
        writes = true;
      if (!writes)
        continue;
      if (top == writer)
        return true;
      if (expanded.insert(top).second)
        llvm::append_range(work, buffersRead(top));
    }
  }
  return false;
}

/// Whether `consumer` reads, besides `buffer`, something a matrix product still to become a
/// kernel writes, or a kernel that `kernel` does not already depend on. Fused into `kernel`, it
/// would make that kernel depend on the other: two products that read the same input (the input
/// and forget projections) would no longer be independent, and tern-gpu-merge-launches could not
/// run them as one launch. A kernel this one's input is computed from (the residual stream's last
/// update, for the down projection) runs before it anyway.
bool readsAnotherKernelsResult(linalg::GenericOp consumer, Value buffer, Operation *kernel,
                               Operation *producer) {
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    Value v = input->get();
    if (v == buffer || !isa<MemRefType>(v.getType()))
      continue;
    Value root = rootOf(v);
    for (Operation *user : root.getUsers()) {
      if (user == consumer.getOperation() || kernel->isAncestor(user))
        continue;
      auto generic = dyn_cast<linalg::GenericOp>(user);
      bool product = generic && generic->hasAttr(mlir::tern::kTernaryAccumulateAttr) &&
                     llvm::any_of(generic.getDpsInits(),
                                  [&](Value init) { return rootOf(init) == root; });
      auto writer = isa<memref::StoreOp, vector::StoreOp>(user)
                        ? user->getParentOfType<gpu::LaunchOp>()
                        : gpu::LaunchOp();
      bool storedByKernel =
          writer &&
          !dependsOnWriter(kernel, kernel->getBlock()->findAncestorOpInBlock(*writer), producer);
      if (product || storedByKernel)
        return true;
    }
  }
  return false;
}

} // namespace

void hoistDefinition(Value v, Operation *anchor) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != anchor->getBlock() || def->isBeforeInBlock(anchor))
    return;
  for (Value operand : def->getOperands())
    hoistDefinition(operand, anchor);
  def->moveBefore(anchor);
}

namespace {
/// Stores `value` at `indices` of `buffer`, under `storeIf` when given.
void storeElement(OpBuilder &b, Location loc, Value value, Value buffer, ValueRange indices,
                  Value storeIf) {
  if (!storeIf) {
    memref::StoreOp::create(b, loc, value, buffer, indices);
    return;
  }
  scf::IfOp::create(b, loc, storeIf, [&](OpBuilder &ib, Location loc) {
    memref::StoreOp::create(ib, loc, value, buffer, indices);
    scf::YieldOp::create(ib, loc);
  });
}

/// Clones `consumer`'s body with `mapping` (its inputs mapped) at `indices`; returns its result.
Value cloneElementBody(OpBuilder &b, linalg::GenericOp consumer, IRMapping &mapping,
                       ValueRange indices) {
  Block &body = consumer.getRegion().front();
  for (Operation &op : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(op)) {
      mapping.map(index.getResult(), indices[index.getDim()]);
      continue;
    }
    b.clone(op, mapping);
  }
  return mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
}
} // namespace

namespace {
/// The element of `input` (an operand of `consumer`) that the consumer reads at `indices`.
Value loadConsumerInput(OpBuilder &b, Location loc, linalg::GenericOp consumer, OpOperand *input,
                        ValueRange indices) {
  AffineMap map = consumer.getMatchingIndexingMap(input);
  SmallVector<Value> at;
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    at.push_back(affine::AffineApplyOp::create(b, loc, map.getSubMap({i}), indices));
  return memref::LoadOp::create(b, loc, input->get(), at);
}
} // namespace

namespace {
/// The consumers fuseElementwiseConsumers(producer, kernel, buffer) takes, in order: each the next
/// generic, reading the buffer the one before wrote element by element. Without `kernel`, also
/// those that read another kernel's result.
SmallVector<linalg::GenericOp> elementwiseChain(Operation *producer, Value buffer,
                                                Operation *kernel) {
  SmallVector<linalg::GenericOp> chain;
  for (Operation *after = producer;;) {
    linalg::GenericOp consumer = nextGeneric(after);
    if (!consumer || !isElementwiseConsumer(consumer, buffer) ||
        (kernel && readsAnotherKernelsResult(consumer, buffer, kernel, producer)))
      return chain;
    chain.push_back(consumer);
    buffer = consumer.getDpsInitOperand(0)->get();
    after = consumer;
  }
}
} // namespace

PreloadedInputs preloadChainInputs(OpBuilder &b, Location loc, Operation *producer,
                                   Operation *kernel, Value buffer, ValueRange indices,
                                   function_ref<bool(Value)> take) {
  // An input that the chain writes itself is read where it is, after that write.
  SmallVector<linalg::GenericOp> chain = elementwiseChain(producer, buffer, kernel);
  SmallVector<Value> written{rootOf(buffer)};
  for (linalg::GenericOp consumer : chain)
    written.push_back(rootOf(consumer.getDpsInitOperand(0)->get()));
  PreloadedInputs loaded;
  for (linalg::GenericOp consumer : chain) {
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      Value v = input->get();
      if (!isa<MemRefType>(v.getType()) || llvm::is_contained(written, rootOf(v)) || !take(v))
        continue;
      hoistDefinition(v, kernel);
      loaded[input] = loadConsumerInput(b, loc, consumer, input, indices);
    }
  }
  return loaded;
}

FusedChain fuseElementwiseConsumers(OpBuilder &b, Location loc, Operation *producer,
                                    Operation *kernel, Value buffer, ValueRange indices,
                                    Value value, Value storeIf, const PreloadedInputs *preloaded) {
  FusedChain chain{buffer, value};
  for (linalg::GenericOp consumer : elementwiseChain(producer, buffer, kernel)) {
    for (Value operand : consumer->getOperands())
      hoistDefinition(operand, kernel);
    IRMapping mapping;
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      Value arg = consumer.getMatchingBlockArgument(input);
      Value v = input->get();
      if (v == chain.buffer) {
        mapping.map(arg, chain.value);
      } else if (Value known = preloaded ? preloaded->lookup(input) : Value()) {
        mapping.map(arg, known);
      } else if (isa<MemRefType>(v.getType())) {
        mapping.map(arg, loadConsumerInput(b, loc, consumer, input, indices));
      } else {
        mapping.map(arg, v);
      }
    }
    Value result = cloneElementBody(b, consumer, mapping, indices);
    Value out = consumer.getDpsInitOperand(0)->get();
    storeElement(b, loc, result, out, indices, storeIf);
    consumer.erase();
    chain.buffer = out;
    chain.value = result;
  }
  return chain;
}

namespace {
/// 0 or 1 when `v` is the low or the high half of `buffer` along its last dimension (a subview of
/// all of every other dimension at offset 0), none otherwise.
std::optional<int> halfOf(Value v, Value buffer) {
  auto view = v.getDefiningOp<memref::SubViewOp>();
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!view || view.getSource() != buffer || !type || type.isDynamicDim(type.getRank() - 1) ||
      view.getType().getRank() != type.getRank() || type.getShape().back() % 2 != 0)
    return std::nullopt;
  // Whether `size` is all of dimension i: its static size, or for a dynamic one (the token count
  // of a prefill) the size the buffer was allocated with.
  auto whole = [&](int64_t i, OpFoldResult size) {
    if (!type.isDynamicDim(i))
      return getConstantIntValue(size) == type.getDimSize(i);
    Value given = dyn_cast<Value>(size);
    return given && allocatedSize(buffer, i) == given;
  };
  int64_t rank = type.getRank(), half = type.getShape().back() / 2;
  for (int64_t i = 0; i < rank; ++i) {
    std::optional<int64_t> offset = getConstantIntValue(view.getMixedOffsets()[i]);
    std::optional<int64_t> stride = getConstantIntValue(view.getMixedStrides()[i]);
    if (!offset || stride != 1)
      return std::nullopt;
    bool last = i == rank - 1;
    if (!last && (*offset != 0 || !whole(i, view.getMixedSizes()[i])))
      return std::nullopt;
    if (last && (getConstantIntValue(view.getMixedSizes()[i]) != half ||
                 (*offset != 0 && *offset != half)))
      return std::nullopt;
    if (last)
      return *offset == 0 ? 0 : 1;
  }
  return std::nullopt;
}
} // namespace

bool bodyTouchesMemory(linalg::LinalgOp op) {
  WalkResult walk = op.getBlock()->walk([](Operation *inner) {
    return isMemoryEffectFree(inner) ? WalkResult::advance() : WalkResult::interrupt();
  });
  return walk.wasInterrupted();
}

linalg::GenericOp findHalvesConsumer(Operation *producer, Value buffer, Value *lastBuffer) {
  // The chain fuseElementwiseConsumers would take (without the kernel test: the chain reads no
  // other product's result when it ends in such a consumer, checked below by its inputs).
  SmallVector<linalg::GenericOp> chain = elementwiseChain(producer, buffer, nullptr);
  if (!chain.empty())
    buffer = chain.back().getDpsInitOperand(0)->get();
  linalg::GenericOp next = nextGeneric(chain.empty() ? producer : chain.back().getOperation());
  if (!next)
    return nullptr;
  if (!next.hasPureBufferSemantics() || next.getNumDpsInits() != 1 ||
      next.getNumReductionLoops() != 0 || next.getNumDpsInputs() != 2)
    return nullptr;
  for (AffineMap map : next.getIndexingMapsArray())
    if (!map.isIdentity())
      return nullptr;
  OpOperand *init = next.getDpsInitOperand(0);
  if (!next.getRegion().front().getArgument(init->getOperandNumber()).use_empty())
    return nullptr;
  std::optional<int> low = halfOf(next.getDpsInputOperand(0)->get(), buffer);
  std::optional<int> high = halfOf(next.getDpsInputOperand(1)->get(), buffer);
  if (!low || !high || *low != 0 || *high != 1)
    return nullptr;
  if (bodyTouchesMemory(next))
    return nullptr;
  *lastBuffer = buffer;
  return next;
}

void fuseHalvesConsumer(OpBuilder &b, Location loc, Operation *kernel,
                        linalg::GenericOp consumer, Value low, Value high, ValueRange indices,
                        Value storeIf) {
  for (Value operand : consumer->getOperands())
    hoistDefinition(operand, kernel);
  IRMapping mapping;
  mapping.map(consumer.getMatchingBlockArgument(consumer.getDpsInputOperand(0)), low);
  mapping.map(consumer.getMatchingBlockArgument(consumer.getDpsInputOperand(1)), high);
  Value result = cloneElementBody(b, consumer, mapping, indices);
  storeElement(b, loc, result, consumer.getDpsInitOperand(0)->get(), indices, storeIf);
  consumer.erase();
}

std::optional<Value> takeInitialFill(Value buffer, Operation *consumer) {
  linalg::FillOp fill;
  for (Operation *user : buffer.getUsers()) {
    if (user == consumer)
      continue;
    auto asFill = dyn_cast<linalg::FillOp>(user);
    if (asFill && asFill->getBlock() == consumer->getBlock() &&
        asFill->isBeforeInBlock(consumer) && asFill.getOutputs()[0] == buffer && !fill) {
      fill = asFill;
      continue;
    }
    // Any other use must come after the consumer (e.g. its readers and the dealloc).
    Operation *inBlock = consumer->getBlock()->findAncestorOpInBlock(*user);
    if (!inBlock || !consumer->isBeforeInBlock(inBlock))
      return std::nullopt;
  }
  if (!fill || !fill.getInputs()[0].getType().isIntOrFloat())
    return std::nullopt;
  Value value = fill.getInputs()[0];
  fill.erase();
  return value;
}

//===----------------------------------------------------------------------===//
// Which buffers an op reads and writes, and whether two ops may be swapped.
//===----------------------------------------------------------------------===//

/// The buffer a memref value is a view of: an allocation, a global, an argument.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      v = view.getViewSource();
      continue;
    }
    break;
  }
  return v;
}

bool isConstantBuffer(Value v) {
  auto get = rootOf(v).getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  return global && global.getConstant();
}

namespace {
bool isFreshAllocation(Value root) {
  return isa_and_nonnull<gpu::AllocOp, memref::AllocOp, memref::AllocaOp>(root.getDefiningOp());
}
} // namespace

bool mayAlias(Value a, Value b) {
  Value ra = rootOf(a), rb = rootOf(b);
  if (ra == rb)
    return true;
  if (isFreshAllocation(ra) || isFreshAllocation(rb))
    return false; // two allocations, or an allocation and anything older
  auto ga = ra.getDefiningOp<memref::GetGlobalOp>(), gb = rb.getDefiningOp<memref::GetGlobalOp>();
  if (ga && gb)
    return ga.getName() == gb.getName();
  return true;
}

/// What a kernel does to the buffers it takes from outside.
Effects effectsOf(gpu::LaunchOp launch) {
  Effects effects;
  launch.getBody().walk([&](Operation *op) {
    // A prefetch into a cache is a hint: it changes no value any op reads.
    if (isa<NVVM::PrefetchOp>(op))
      return;
    auto iface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!iface) {
      // An op that declares nothing can only reach memory through a buffer or pointer operand
      // (nvvm.dot.accumulate.4way declares nothing and takes integers).
      bool touchesMemory = llvm::any_of(op->getOperandTypes(), [](Type t) {
        return isa<MemRefType, LLVM::LLVMPointerType>(t);
      });
      if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() && touchesMemory &&
          !isMemoryEffectFree(op))
        effects.unknown = true;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    iface.getEffects(instances);
    for (const MemoryEffects::EffectInstance &e : instances) {
      Value value = e.getValue();
      if (isa<MemoryEffects::Allocate, MemoryEffects::Free>(e.getEffect()))
        continue;
      if (!value) {
        if (isa<gpu::BarrierOp>(op))
          continue;
        effects.unknown = true;
        continue;
      }
      // Workgroup buffers and anything made inside the kernel are its own.
      if (!launch.getBody().isAncestor(rootOf(value).getParentRegion()) ||
          rootOf(value).getParentRegion() == launch->getParentRegion()) {
        if (isa<MemoryEffects::Write>(e.getEffect()))
          effects.writes.push_back(value);
        else
          effects.reads.push_back(value);
      }
    }
  });
  return effects;
}

Effects effectsOf(linalg::LinalgOp op) {
  Effects effects;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (op.isDpsInit(&operand)) {
      effects.writes.push_back(operand.get());
      if (op.payloadUsesValueFromOperand(&operand))
        effects.reads.push_back(operand.get());
    } else {
      effects.reads.push_back(operand.get());
    }
  }
  return effects;
}

bool anyMayAlias(ArrayRef<Value> xs, ArrayRef<Value> ys) {
  for (Value x : xs)
    for (Value y : ys)
      if (mayAlias(x, y))
        return true;
  return false;
}

/// Whether running `a` before `b` instead of after it leaves every buffer as it was.
bool commutes(const Effects &a, const Effects &b) {
  return !a.unknown && !b.unknown && !anyMayAlias(a.writes, b.reads) &&
         !anyMayAlias(a.writes, b.writes) && !anyMayAlias(a.reads, b.writes);
}


} // namespace tern::cuda
