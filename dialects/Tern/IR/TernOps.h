//===- TernOps.h - tern operations ------------------------------*- C++ -*-===//
#ifndef TERN_IR_TERNOPS_H
#define TERN_IR_TERNOPS_H

#include "dialects/Tern/IR/TernDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Tern/IR/TernOps.h.inc"

#endif // TERN_IR_TERNOPS_H
