//===- Passes.h - tern transformation passes --------------------*- C++ -*-===//
#ifndef TERN_TRANSFORMS_PASSES_H
#define TERN_TRANSFORMS_PASSES_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "dialects/Tern/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Tern/Transforms/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_PASSES_H
