//===- KernelBuilders.cpp - pieces the GPU kernel passes share ------------===//
#include "backends/cuda/KernelBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

/// Moves the op defining `v` (and, first, those defining its operands) before `anchor` when it
/// lies after it in the same block: the fused kernel, at the anchor, uses the consumer's buffers.
void hoistDefinition(Value v, Operation *anchor) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != anchor->getBlock() || def->isBeforeInBlock(anchor))
    return;
  for (Value operand : def->getOperands())
    hoistDefinition(operand, anchor);
  def->moveBefore(anchor);
}

} // namespace

int fuseElementwiseConsumers(OpBuilder &b, Location loc, Operation *producer, Operation *kernel,
                             Value buffer, ValueRange indices, Value value) {
  int fused = 0;
  for (Operation *after = producer;;) {
    linalg::GenericOp consumer = nextGeneric(after);
    if (!consumer || !isElementwiseConsumer(consumer, buffer))
      return fused;
    for (Value operand : consumer->getOperands())
      hoistDefinition(operand, kernel);
    IRMapping mapping;
    for (OpOperand *input : consumer.getDpsInputOperands()) {
      Value arg = consumer.getMatchingBlockArgument(input);
      Value v = input->get();
      if (v == buffer) {
        mapping.map(arg, value);
      } else if (isa<MemRefType>(v.getType())) {
        AffineMap map = consumer.getMatchingIndexingMap(input);
        SmallVector<Value> at;
        for (unsigned i = 0; i < map.getNumResults(); ++i)
          at.push_back(affine::AffineApplyOp::create(b, loc, map.getSubMap({i}), indices));
        mapping.map(arg, memref::LoadOp::create(b, loc, v, at));
      } else {
        mapping.map(arg, v);
      }
    }
    Block &body = consumer.getRegion().front();
    for (Operation &op : body.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(op)) {
        mapping.map(index.getResult(), indices[index.getDim()]);
        continue;
      }
      b.clone(op, mapping);
    }
    Value result = mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
    Value out = consumer.getDpsInitOperand(0)->get();
    memref::StoreOp::create(b, loc, result, out, indices);
    // The consumer's place in the block stands for the fused work: the next one is looked for
    // after it, reading what it wrote.
    Operation *marker = consumer->getPrevNode();
    consumer.erase();
    after = marker ? marker : producer;
    buffer = out;
    value = result;
    ++fused;
  }
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

} // namespace tern::cuda
