//===- BindKernels.cpp - microkernel calls through runtime-filled slots ---===//
#include "backends/cpu/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNBINDKERNELS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// A zero-initialised, writable pointer variable with default visibility, so
/// the runtime finds it with dlsym and stores into it.
LLVM::GlobalOp pointerSlot(OpBuilder &b, ModuleOp module, StringRef name) {
  if (auto existing = module.lookupSymbol<LLVM::GlobalOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto global = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false, LLVM::Linkage::External,
                                       name, Attribute());
  Block *init = b.createBlock(&global.getInitializerRegion());
  b.setInsertionPointToStart(init);
  LLVM::ReturnOp::create(b, loc, ValueRange{LLVM::ZeroOp::create(b, loc, ptr)});
  return global;
}

struct BindKernelsPass : mlir::tern::impl::TernBindKernelsBase<BindKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(&getContext());
    std::string prefix = ("_mlir_ciface_" + kKernelFunctionPrefix).str();
    SmallVector<Attribute> names;
    for (auto fn : llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>())) {
      if (!fn.isExternal() || !fn.getName().starts_with(prefix))
        continue;
      LLVM::LLVMFunctionType type = fn.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) || type.isVarArg() ||
          !llvm::all_of(type.getParams(), llvm::IsaPred<LLVM::LLVMPointerType>)) {
        fn.emitError("a microkernel takes memref descriptors by pointer and returns nothing");
        return signalPassFailure();
      }
      StringRef name = fn.getName().drop_front(prefix.size());
      LLVM::GlobalOp slot = pointerSlot(b, module, (kKernelSlotPrefix + name).str());
      LLVM::GlobalOp context = pointerSlot(b, module, kKernelContextSlot);
      names.push_back(b.getStringAttr(name));

      // body: slot(context, descriptors...)
      Location loc = fn.getLoc();
      auto ptr = LLVM::LLVMPointerType::get(&getContext());
      Block *entry = fn.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      Value callee = LLVM::LoadOp::create(b, loc, ptr, LLVM::AddressOfOp::create(b, loc, slot));
      Value ctx = LLVM::LoadOp::create(b, loc, ptr, LLVM::AddressOfOp::create(b, loc, context));
      SmallVector<Value> operands{callee, ctx};
      llvm::append_range(operands, entry->getArguments());
      SmallVector<Type> params(operands.size() - 1, ptr);
      auto calleeType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(&getContext()), params);
      LLVM::CallOp::create(b, loc, calleeType, operands);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      fn.setLinkage(LLVM::Linkage::Internal);
      SymbolTable::setSymbolVisibility(fn, SymbolTable::Visibility::Private);
    }
    if (!names.empty())
      module->setAttr(kKernelsAttr, b.getArrayAttr(names));
  }
};

} // namespace
