//===- ExternalizeWeights.cpp - weights out of the code -------------------===//
#include "backends/cpu/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNEXTERNALIZEWEIGHTS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

int64_t globalBytes(memref::GlobalOp global) {
  MemRefType type = global.getType();
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

struct ExternalizeWeightsPass
    : mlir::tern::impl::TernExternalizeWeightsBase<ExternalizeWeightsPass> {
  using TernExternalizeWeightsBase::TernExternalizeWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);

    // 1. Lay out the large constant globals.
    llvm::StringMap<int64_t> offsets;
    int64_t end = 0;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      if (!global.getConstant() || !global.getInitialValue() ||
          !global.getType().hasStaticShape() || globalBytes(global) < minBytes)
        continue;
      end = llvm::alignTo(end, 64);
      offsets[global.getSymName()] = end;
      global->setAttr(kWeightOffsetAttr, b.getI64IntegerAttr(end));
      end += globalBytes(global);
    }
    module->setAttr("tern.weights_bytes", b.getI64IntegerAttr(end));

    // 2. Every function takes the weights buffer first; calls pass theirs on.
    auto weightsType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      if (failed(fn.insertArgument(0, weightsType, {}, fn.getLoc())))
        return signalPassFailure();
    }
    module.walk([&](func::CallOp call) {
      auto caller = call->getParentOfType<func::FuncOp>();
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return;
      SmallVector<Value> operands{caller.getArgument(0)};
      llvm::append_range(operands, call.getOperands());
      call->setOperands(operands);
    });

    // 3. get_global of a moved weight becomes a view of the buffer.
    SmallVector<memref::GetGlobalOp> uses;
    module.walk([&](memref::GetGlobalOp op) {
      if (offsets.count(op.getName()))
        uses.push_back(op);
    });
    for (memref::GetGlobalOp op : uses) {
      b.setInsertionPoint(op);
      auto fn = op->getParentOfType<func::FuncOp>();
      Value offset = arith::ConstantIndexOp::create(b, op.getLoc(), offsets[op.getName()]);
      Value view = memref::ViewOp::create(b, op.getLoc(), op.getType(), fn.getArgument(0), offset,
                                          ValueRange{});
      op.replaceAllUsesWith(view);
      op.erase();
    }
  }
};

} // namespace
