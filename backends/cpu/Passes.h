//===- Passes.h - CPU backend passes ----------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_PASSES_H
#define TERN_BACKENDS_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "backends/cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/cpu/Passes.h.inc"

/// Name of the attribute that records a global's place in the weights buffer.
inline constexpr const char *kWeightOffsetAttr = "tern.weight_offset";

/// Microkernel calls (tern-cpu-kernel-calls, tern-bind-kernels): the called
/// function is kKernelFunctionPrefix + NAME, its slot kKernelSlotPrefix + NAME,
/// and the module attribute kKernelsAttr lists the NAMEs. The runtime side is
/// runtime/src/kernel_dispatch.h.
inline constexpr llvm::StringLiteral kKernelFunctionPrefix = "tern_kernel_";
inline constexpr llvm::StringLiteral kKernelSlotPrefix = "__tern_kernel_";
inline constexpr llvm::StringLiteral kKernelContextSlot = "__tern_kernel_context";
inline constexpr llvm::StringLiteral kKernelsAttr = "tern.kernels";

} // namespace mlir::tern

#endif // TERN_BACKENDS_CPU_PASSES_H
