//===- CUDACodegen.cpp - the host shared object with PTX inside -----------===//
#include "backends/cuda/CUDACodegen.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace tern {

void registerCUDATranslations(MLIRContext &context) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  context.appendDialectRegistry(registry);
}

CPUTarget cudaHostTarget() {
  CPUTarget target;
  target.triple = llvm::sys::getDefaultTargetTriple();
  target.cpu = "generic";
  return target;
}

std::string collectPTX(ModuleOp module) {
  std::string text;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
        continue;
      text += "// gpu.binary @" + binary.getSymName().str() + "\n";
      text += object.getObject().getValue().str();
    }
  return text;
}

} // namespace tern
