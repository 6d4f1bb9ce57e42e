//===- TernDialect.h - the tern dialect -------------------------*- C++ -*-===//
#ifndef TERN_IR_TERNDIALECT_H
#define TERN_IR_TERNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/Tern/IR/TernDialect.h.inc"
#include "dialects/Tern/IR/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tern/IR/TernAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/Tern/IR/TernTypes.h.inc"

#endif // TERN_IR_TERNDIALECT_H
