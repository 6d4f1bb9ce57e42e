//===- TernDialect.cpp - the tern dialect ---------------------------------===//
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

#include "dialects/Tern/IR/TernDialect.cpp.inc"
#include "dialects/Tern/IR/TernEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tern/IR/TernAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/Tern/IR/TernTypes.cpp.inc"

void TernDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Tern/IR/TernOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/Tern/IR/TernTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tern/IR/TernAttrs.cpp.inc"
      >();
}

/// Folders (tern.lower_bounds) produce tensor attributes; arith.constant holds them.
Operation *TernDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                            Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}
