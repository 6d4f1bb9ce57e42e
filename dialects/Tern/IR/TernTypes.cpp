//===- TernTypes.cpp - tern types -----------------------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

// The storage classes and registration are generated into TernDialect.cpp.

// Syntax: !tern.trits<ROWSxCOLS, PACKING>
Type TritsType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> dims;
  std::string packingName;
  llvm::SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false, /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseKeywordOrString(&packingName) ||
      parser.parseGreater())
    return {};
  if (dims.size() != 2) {
    parser.emitError(loc, "expected a 2-D shape ROWSxCOLS, got ") << dims.size() << " dimensions";
    return {};
  }
  std::optional<Packing> packing = symbolizePacking(packingName);
  if (!packing) {
    parser.emitError(loc, "unknown packing '") << packingName
                                               << "' (expected none, two_bit or base3)";
    return {};
  }
  return parser.getChecked<TritsType>(loc, parser.getContext(), dims[0], dims[1], *packing);
}

void TritsType::print(AsmPrinter &printer) const {
  printer << "<" << getRows() << "x" << getCols() << ", " << stringifyPacking(getPacking())
          << ">";
}

LogicalResult TritsType::verify(function_ref<InFlightDiagnostic()> emitError, int64_t rows,
                                int64_t cols, Packing) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "trits shape must be positive, got " << rows << "x" << cols;
  return success();
}

int64_t TritsType::getRowBytes() const { return packedRowBytes(getCols(), getPacking()); }

RankedTensorType TritsType::getStorageType() const {
  return RankedTensorType::get({getRows(), getRowBytes()}, IntegerType::get(getContext(), 8));
}
