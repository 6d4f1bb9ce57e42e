//===- Passes.h - CUDA backend passes ---------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_PASSES_H
#define TERN_BACKENDS_CUDA_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "backends/cuda/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/cuda/Passes.h.inc"

/// Attribute on a weight global whose bytes tern-gpu-ternary-matvec re-laid
/// for its kernel (docs/cuda.md, "The matvec layout").
inline constexpr const char *kGPULayoutAttr = "tern.gpu_layout";
inline constexpr const char *kDp4aInterleavedLayout = "two_bit_dp4a_interleaved";

} // namespace mlir::tern

#endif // TERN_BACKENDS_CUDA_PASSES_H
