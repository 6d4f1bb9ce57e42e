//===- Passes.h - HLS backend passes ----------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_HLS_PASSES_H
#define TERN_BACKENDS_HLS_PASSES_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "backends/hls/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/hls/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_BACKENDS_HLS_PASSES_H
