//===- LaunchSites.cpp - where the host code launches each kernel ---------===//
#include "backends/cuda/LaunchSites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir::tern {

llvm::StringMap<KernelLaunchSites> kernelLaunchSites(gpu::GPUModuleOp gpuModule,
                                                     llvm::ArrayRef<std::string> functions) {
  llvm::StringMap<KernelLaunchSites> sites;
  auto module = gpuModule->getParentOfType<ModuleOp>();
  if (!module)
    return sites;
  module.walk([&](gpu::LaunchFuncOp launch) {
    if (launch.getKernelModuleName() != gpuModule.getSymName())
      return;
    auto func = launch->getParentOfType<func::FuncOp>();
    bool listed = func && llvm::is_contained(functions, func.getSymName().str());
    std::optional<int64_t> x = getConstantIntValue(launch.getGridSizeX());
    auto [it, first] = sites.try_emplace(launch.getKernelName(), KernelLaunchSites{listed, x});
    if (first)
      return;
    it->second.onlyFromFunctions = it->second.onlyFromFunctions && listed;
    if (it->second.gridX != x)
      it->second.gridX = std::nullopt;
  });
  return sites;
}

} // namespace mlir::tern
