//===- EnergyTable.cpp - energy per operation, from the literature --------===//
#include "compiler/Report/EnergyTable.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace tern;

namespace {

double byWidth(mlir::Type type, double int8, double int32, double float16, double float32) {
  unsigned width = type.getIntOrFloatBitWidth();
  if (type.isInteger())
    return width <= 8 ? int8 : width <= 32 ? int32 : 2 * int32;
  return width <= 16 ? float16 : width <= 32 ? float32 : 2 * float32;
}

} // namespace

double EnergyTable::add(mlir::Type type) {
  return byWidth(type, kInt8Add, kInt32Add, kFloat16Add, kFloat32Add);
}

double EnergyTable::mult(mlir::Type type) {
  return byWidth(type, kInt8Mult, kInt32Mult, kFloat16Mult, kFloat32Mult);
}
