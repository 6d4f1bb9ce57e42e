//===- Passes.h - CPU backend passes ----------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_PASSES_H
#define TERN_BACKENDS_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
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

} // namespace mlir::tern

#endif // TERN_BACKENDS_CPU_PASSES_H
