//===- CPUPipeline.h - tensor-level tern IR down to LLVM dialect -*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_CPUPIPELINE_H
#define TERN_BACKENDS_CPU_CPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace tern {

/// linalg/tensor IR -> bufferized memrefs with the weights externalized.
void buildCPUBufferizePipeline(mlir::OpPassManager &pm);
/// bufferized memref IR -> LLVM dialect.
void buildCPUToLLVMPipeline(mlir::OpPassManager &pm);

} // namespace tern

#endif // TERN_BACKENDS_CPU_CPUPIPELINE_H
