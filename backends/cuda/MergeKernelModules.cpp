//===- MergeKernelModules.cpp - one gpu.module, each kernel once ----------===//
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUMERGEKERNELMODULES
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

constexpr const char *kMergedModule = "tern_kernels";

/// The kernel's text with its name left out: equal text, equal kernel.
std::string bodyKey(gpu::GPUFuncOp kernel) {
  StringAttr name = kernel.getNameAttr();
  SymbolTable::setSymbolName(kernel, "k");
  std::string text;
  llvm::raw_string_ostream os(text);
  kernel->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  SymbolTable::setSymbolName(kernel, name);
  return text;
}

struct MergeKernelModulesPass
    : mlir::tern::impl::TernGPUMergeKernelModulesBase<MergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    if (llvm::any_of(modules, [](gpu::GPUModuleOp m) { return m.getName() == kMergedModule; })) {
      module.emitError("tern-gpu-merge-kernel-modules: a gpu.module @") << kMergedModule
                                                                          << " exists already";
      return signalPassFailure();
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), kMergedModule);
    OpBuilder inMerged = OpBuilder::atBlockBegin(merged.getBody());

    // Copy each distinct kernel once, in the order the launches use them.
    llvm::StringMap<StringAttr> byBody;                      // kernel text -> merged name
    llvm::DenseMap<SymbolRefAttr, SymbolRefAttr> renamed;    // old reference -> new
    int64_t count = 0;
    WalkResult walk = module.walk([&](gpu::LaunchFuncOp launch) -> WalkResult {
      SymbolRefAttr old = launch.getKernel();
      if (renamed.count(old))
        return WalkResult::advance();
      auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(launch, old);
      if (!kernel || kernel->getParentOfType<gpu::GPUModuleOp>() == merged) {
        launch.emitOpError("launches a kernel that tern-gpu-merge-kernel-modules cannot find");
        return WalkResult::interrupt();
      }
      std::string key = bodyKey(kernel);
      auto [it, inserted] = byBody.try_emplace(key, StringAttr());
      if (inserted) {
        auto copy = cast<gpu::GPUFuncOp>(inMerged.clone(*kernel));
        // Kernels read workgroup buffers of bytes 16 bytes at a time (the activations a
        // single-block prologue quantized into shared memory): aligned, as their loads say.
        for (auto [index, buffer] : llvm::enumerate(copy.getWorkgroupAttributions()))
          if (cast<MemRefType>(buffer.getType()).getElementType().isInteger(8))
            copy.setWorkgroupAttributionAttr(index, LLVM::LLVMDialect::getAlignAttrName(),
                                             b.getI64IntegerAttr(16));
        it->second = StringAttr::get(&getContext(), "kernel_" + std::to_string(count++));
        SymbolTable::setSymbolName(copy, it->second);
      }
      renamed[old] = SymbolRefAttr::get(merged.getNameAttr(),
                                        {FlatSymbolRefAttr::get(it->second)});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    module.walk([&](gpu::LaunchFuncOp launch) { launch.setKernelAttr(renamed[launch.getKernel()]); });
    for (gpu::GPUModuleOp old : modules)
      old.erase();
  }
};

} // namespace
