//===- KernelCalls.cpp - lowered accumulates to microkernel calls ---------===//
#include "backends/cpu/Passes.h"
#include "compiler/Conversion/TernToLinalg/KernelMarkers.h"
#include "dialects/Tern/IR/TernDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCPUKERNELCALLS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

bool hasElementType(Value v, unsigned width) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isSignlessInteger(width);
}

/// memref<?x?xT, strided<[?, ?], offset: ?>>: one declaration serves every
/// shape (upstream's LinalgOpToLibraryCallRewrite keeps static sizes in the
/// signature, so two shapes would clash on one name).
MemRefType anyShape(MemRefType type) {
  MLIRContext *ctx = type.getContext();
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<int64_t> sizes(type.getRank(), dyn), strides(type.getRank(), dyn);
  return MemRefType::get(sizes, type.getElementType(), StridedLayoutAttr::get(ctx, dyn, strides));
}

/// The external declaration of `name` for `types`, with the memref C
/// interface (pointers to descriptors).
func::FuncOp declareKernel(ModuleOp module, StringRef name, TypeRange types) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType(types, {}));
  fn.setPrivate();
  fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  return fn;
}

bool hasFloatType(Value v, int64_t rank) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32() && type.getRank() == rank;
}

/// The runtime kernel that computes `op`, or "" when it is not one the
/// runtime has (runtime/src/kernel_dispatch.cpp lists them).
std::string kernelFor(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 + (op->hasAttr(kTernaryAccumulateAttr) ? 1 : 0) ||
      op.getNumDpsInits() != 1 || op.getNumResults() != 0)
    return "";
  if (auto packing = op->getAttrOfType<PackingAttr>(kTernaryAccumulateAttr)) {
    // int8 activations and int32 sums: what tern-eliminate-matmul makes.
    if (hasElementType(op.getDpsInputs()[0], 8) && hasElementType(op.getDpsInputs()[1], 8) &&
        hasElementType(op.getDpsInits()[0], 32))
      return ("ternary_matmul_" + stringifyPacking(packing.getValue())).str();
    return "";
  }
  if (op->hasAttr(kRowSumOfSquaresAttr) && hasFloatType(op.getDpsInputs()[0], 2) &&
      hasFloatType(op.getDpsInits()[0], 1))
    return "row_sum_of_squares_f32";
  return "";
}

struct KernelCallsPass : mlir::tern::impl::TernCPUKernelCallsBase<KernelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::GenericOp, std::string>> calls;
    module.walk([&](linalg::GenericOp op) {
      std::string kernel = kernelFor(op);
      if (!kernel.empty())
        calls.push_back({op, kernel});
    });
    for (auto &[op, kernel] : calls) {
      OpBuilder b(op);
      SmallVector<Value> operands;
      for (Value v : op->getOperands())
        operands.push_back(memref::CastOp::create(b, op.getLoc(),
                                                  anyShape(cast<MemRefType>(v.getType())), v));
      func::FuncOp fn = declareKernel(module, (kKernelFunctionPrefix + kernel).str(),
                                      ValueRange(operands).getTypes());
      func::CallOp::create(b, op.getLoc(), fn, operands);
      op.erase();
    }
  }
};

} // namespace
