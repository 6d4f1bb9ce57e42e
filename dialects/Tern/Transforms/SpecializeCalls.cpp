//===- SpecializeCalls.cpp - inline calls with their sizes made static ----===//
//
// The decode step calls the prefill with a token count cast to `?`. Inlined
// with that `?` made 1 again, the step has static shapes everywhere, which a
// backend can fuse into kernels sized for it (backends/cuda).
//
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSPECIALIZECALLS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The one static size that the casts feeding the call's dynamic arguments
/// erased; std::nullopt (with the reason) if there is none or several.
std::optional<int64_t> erasedSize(func::CallOp call, func::FuncOp callee, std::string &why) {
  std::optional<int64_t> size;
  for (auto [operand, type] : llvm::zip(call.getOperands(), callee.getArgumentTypes())) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked || ranked.hasStaticShape())
      continue;
    auto cast = operand.getDefiningOp<tensor::CastOp>();
    auto source = cast ? dyn_cast<RankedTensorType>(cast.getSource().getType()) : nullptr;
    if (!source) {
      why = "a dynamic argument is not a cast of a ranked tensor";
      return std::nullopt;
    }
    for (int64_t d = 0; d < ranked.getRank(); ++d) {
      if (!ranked.isDynamicDim(d))
        continue;
      if (source.isDynamicDim(d)) {
        why = "a dynamic argument has a dynamic size at the call";
        return std::nullopt;
      }
      if (size && *size != source.getDimSize(d)) {
        why = "the casts erase different sizes";
        return std::nullopt;
      }
      size = source.getDimSize(d);
    }
  }
  if (!size)
    why = "no argument of the callee has a dynamic size";
  return size;
}

Type withSize(Type type, int64_t size) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.hasStaticShape())
    return type;
  SmallVector<int64_t> shape(ranked.getShape());
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = size;
  return ranked.clone(shape);
}

void inlineSpecialized(func::CallOp call, func::FuncOp callee, int64_t size) {
  OpBuilder b(call);
  IRMapping mapping;
  for (auto [arg, operand] : llvm::zip(callee.getArguments(), call.getOperands())) {
    auto cast = operand.getDefiningOp<tensor::CastOp>();
    mapping.map(arg, cast && withSize(arg.getType(), size) == cast.getSource().getType()
                         ? cast.getSource()
                         : operand);
  }
  Block &body = callee.getBody().front();
  for (Operation &op : body.without_terminator()) {
    Operation *copy = b.clone(op, mapping);
    copy->walk([&](Operation *inner) {
      for (Value result : inner->getResults())
        result.setType(withSize(result.getType(), size));
    });
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [result, returned] : llvm::zip(call.getResults(), ret.getOperands())) {
    Value value = mapping.lookup(returned);
    if (value.getType() != result.getType())
      value = tensor::CastOp::create(b, call.getLoc(), result.getType(), value);
    result.replaceAllUsesWith(value);
  }
  call.erase();
}

struct SpecializeCallsPass : mlir::tern::impl::TernSpecializeCallsBase<SpecializeCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) { calls.push_back(call); });
    for (func::CallOp call : calls) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal() || !callee.getBody().hasOneBlock())
        continue;
      std::string why;
      std::optional<int64_t> size = erasedSize(call, callee, why);
      if (!size) {
        call.emitRemark("tern-specialize-calls: not specialized: ") << why;
        continue;
      }
      auto caller = call->getParentOfType<func::FuncOp>();
      inlineSpecialized(call, callee, *size);
      if (failed(verify(caller))) {
        caller.emitError("tern-specialize-calls: the body of @")
            << callee.getSymName() << " with every dynamic size set to " << *size
            << " is not valid IR (does it have more than one dynamic size?)";
        return signalPassFailure();
      }
    }
  }
};

} // namespace
