//===- CUDAPipeline.h - tensor-level tern IR to kernels and PTX -*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_CUDAPIPELINE_H
#define TERN_BACKENDS_CUDA_CUDAPIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace tern {

/// The GPU a --target=cuda[-sm_NN] compiles for.
struct CUDATarget {
  std::string chip;     // "sm_80", "sm_90"
  std::string features; // the PTX ISA version, "+ptx70"
};

/// The target named by `--target` (cuda = cuda-sm_80), or std::nullopt.
std::optional<CUDATarget> parseCUDATarget(llvm::StringRef name);

/// Whether the target's kernels start while the kernel before them finishes (sm_90's programmatic
/// dependent launch): they wait inside themselves, and the runtime launches them so
/// (the manifest's "dependent_launch").
bool usesDependentLaunch(const CUDATarget &target);

/// linalg on tensors -> memrefs in device memory (gpu.alloc/gpu.dealloc).
void buildCUDABufferizePipeline(mlir::OpPassManager &pm);
/// bufferized IR -> gpu.launch kernels outlined into one gpu.module, weights
/// moved out to the weights buffer, host code async on one stream.
void buildCUDAKernelPipeline(mlir::OpPassManager &pm, const CUDATarget &target);
/// -> kernels compiled to PTX in a gpu.binary, host code in the LLVM dialect.
void buildCUDAToLLVMPipeline(mlir::OpPassManager &pm, const CUDATarget &target);

} // namespace tern

#endif // TERN_BACKENDS_CUDA_CUDAPIPELINE_H
