//===- KernelBuilders.cpp - pieces the GPU kernel passes share ------------===//
#include "backends/cuda/KernelBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

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
