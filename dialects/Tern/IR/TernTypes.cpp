//===- TernTypes.cpp - tern types -----------------------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

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
                                               << "' (expected none, two_bit, base3, two_bit_tiled or base3_tiled)";
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
  // Far above any weight matrix; keeps the packed storage shape (rows x ceil(cols / trits a byte),
  // rows rounded up to a tile) and its byte count inside int64 for hostile IR.
  constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();
  if (rows > kMaxDim || cols > kMaxDim)
    return emitError() << "trits shape must be at most " << kMaxDim << " in each dimension, got "
                       << rows << "x" << cols;
  return success();
}

int64_t TritsType::getRowBytes() const { return packedRowBytes(getCols(), getPacking()); }

RankedTensorType TritsType::getStorageType() const {
  return RankedTensorType::get(storageShape(getRows(), getCols(), getPacking()),
                               IntegerType::get(getContext(), 8));
}
