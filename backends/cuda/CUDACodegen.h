//===- CUDACodegen.h - the host shared object with PTX inside ---*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_CUDACODEGEN_H
#define TERN_BACKENDS_CUDA_CUDACODEGEN_H

#include "backends/cpu/CPUCodegen.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <string>

namespace tern {

/// Registers what lowering to NVVM and translating gpu.binary/launch_func to
/// LLVM IR need: the NVVM target attribute's serializer and the GPU, NVVM,
/// LLVM and builtin translations.
void registerCUDATranslations(mlir::MLIRContext &context);

/// The CPU the host code is compiled for: the ternc machine's triple with a
/// generic CPU, so the artifact runs on whatever host the GPU sits in.
CPUTarget cudaHostTarget();

/// The PTX text of every gpu.binary in the module, each after a comment
/// naming its binary.
std::string collectPTX(mlir::ModuleOp module);

} // namespace tern

#endif // TERN_BACKENDS_CUDA_CUDACODEGEN_H
