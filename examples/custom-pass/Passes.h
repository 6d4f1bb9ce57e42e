//===- Passes.h - the example plugin's passes -------------------*- C++ -*-===//
#ifndef TERN_EXAMPLE_PLUGIN_PASSES_H
#define TERN_EXAMPLE_PLUGIN_PASSES_H

#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace example {

#define GEN_PASS_DECL
#include "Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"

} // namespace example

#endif // TERN_EXAMPLE_PLUGIN_PASSES_H
