//===- OutlineOps.cpp - one shared function per distinct linalg op --------===//
#include "backends/cpu/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCPUOUTLINEOPS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct OutlineOpsPass : mlir::tern::impl::TernCPUOutlineOpsBase<OutlineOpsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // Functions made so far, by signature, to find the one an op can share.
    DenseMap<Type, SmallVector<func::FuncOp>> byType;
    unsigned count = 0;
    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    for (Operation *op : ops) {
      // Arguments: the op's operands, then the values its regions use from above. Scalars are
      // arguments even when constant (a layer's weight scale), so that the same op of every layer
      // shares one function; other constants are cloned in.
      SetVector<Value> above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      SmallVector<Value> arguments(op->getOperands());
      SmallVector<Operation *> constants;
      for (Value v : above) {
        Operation *def = v.getDefiningOp();
        if (def && def->hasTrait<OpTrait::ConstantLike>() && !v.getType().isIntOrIndexOrFloat())
          constants.push_back(def);
        else if (!llvm::is_contained(arguments, v))
          arguments.push_back(v);
      }
      auto type = FunctionType::get(&getContext(), ValueRange(arguments).getTypes(), {});
      auto fn = func::FuncOp::create(moduleBuilder, op->getLoc(),
                                     ("__tern_op_" + llvm::Twine(count++)).str(), type);
      fn.setPrivate();
      // Internal and never inlined (convert-func-to-llvm carries both over): inlined back into
      // the model's function, LLVM would optimise every copy again.
      fn->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(&getContext(), LLVM::Linkage::Internal));
      fn->setAttr("passthrough", ArrayAttr::get(&getContext(),
                                                {StringAttr::get(&getContext(), "noinline")}));
      Block *body = fn.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockEnd(body);
      IRMapping mapping;
      mapping.map(arguments, body->getArguments());
      for (Operation *constant : constants)
        b.clone(*constant, mapping);
      b.clone(*op, mapping);
      func::ReturnOp::create(b, op->getLoc());

      // The same op of another layer already has a function: call that one.
      func::FuncOp callee = fn;
      for (func::FuncOp existing : byType[type]) {
        if (OperationEquivalence::isRegionEquivalentTo(
                &existing.getBody(), &fn.getBody(), OperationEquivalence::IgnoreLocations)) {
          callee = existing;
          break;
        }
      }
      if (callee == fn)
        byType[type].push_back(fn);
      else
        fn.erase();
      OpBuilder atOp(op);
      func::CallOp::create(atOp, op->getLoc(), callee, arguments);
      op->erase();
    }
  }
};

} // namespace
