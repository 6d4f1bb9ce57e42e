//===- CUDABackend.h - ternc's CUDA target -------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_CUDABACKEND_H
#define TERN_BACKENDS_CUDA_CUDABACKEND_H

#include "compiler/Driver/Driver.h"

namespace tern {

/// `--target=cuda`, `cuda-sm_80`, `cuda-sm_90`: tern -> linalg -> GPU
/// kernels -> NVVM -> PTX, embedded in a host shared object that launches
/// them through the runtime's mgpu* functions; written with the weights as
/// a .tern artifact (docs/cuda.md).
Backend cudaBackend();

/// Module attribute (i64) that ternc sets for --random-weights=SEED: the
/// artifact then holds no weights and the runtime synthesizes them.
inline constexpr const char *kRandomWeightsAttr = "tern.random_weights";

} // namespace tern

#endif // TERN_BACKENDS_CUDA_CUDABACKEND_H
