//===- EmitWeights.cpp - ROM contents as C initializers ------------------===//
#include "backends/hls/EmitCpp.h"

#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;

namespace tern::hls {

std::string floatLiteral(float value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.9g", double(value));
  if (text.find_first_of(".en") == std::string::npos) // "1" -> "1.0"; keep 1e+20, inf, nan
    text += ".0";
  return text + "f";
}

LogicalResult readFloats(Value constant, std::vector<float> &values) {
  Operation *def = constant.getDefiningOp();
  if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(def)) {
    auto source = cast<RankedTensorType>(slice.getSourceType());
    ArrayRef<int64_t> offsets = slice.getStaticOffsets(), sizes = slice.getStaticSizes();
    std::vector<float> all;
    if (source.getRank() != 2 || offsets.size() != 2 || ShapedType::isDynamic(offsets[0]) ||
        offsets[1] != 0 || sizes[0] != 1 || sizes[1] != source.getDimSize(1) ||
        !slice.hasUnitStride() || failed(readFloats(slice.getSource(), all)))
      return slice.emitError("tern-hls: only a whole row of a constant can be a ROM");
    int64_t width = source.getDimSize(1);
    values.assign(all.begin() + offsets[0] * width, all.begin() + (offsets[0] + 1) * width);
    return success();
  }
  auto constant_ = dyn_cast_or_null<arith::ConstantOp>(def);
  auto elements = constant_ ? dyn_cast<ElementsAttr>(constant_.getValue()) : ElementsAttr();
  if (!elements || failed(mlir::tern::readAsFloat32(elements, values)))
    return (def ? def->emitError() : emitError(constant.getLoc()))
           << "tern-hls: expected a float constant";
  for (float v : values)
    if (!std::isfinite(v))
      return def->emitError("tern-hls: the constant holds a non-finite value");
  return success();
}

FailureOr<std::vector<uint8_t>> constantBytes(Operation *op, Attribute value) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return op->emitError("tern-hls: expected an elements attribute");
  int64_t elementBytes = (elements.getElementType().getIntOrFloatBitWidth() + 7) / 8;
  int64_t total = elements.getNumElements() * elementBytes;
  if (auto dense = dyn_cast<DenseElementsAttr>(elements); dense && dense.isSplat()) {
    ArrayRef<char> one = dense.getRawData();
    std::vector<uint8_t> bytes(total);
    for (int64_t i = 0; i < total; ++i)
      bytes[i] = uint8_t(one[i % one.size()]);
    return bytes;
  }
  std::optional<ArrayRef<char>> raw = mlir::tern::getRawElementBytes(elements);
  if (!raw || int64_t(raw->size()) != total)
    return op->emitError("tern-hls: cannot read the bytes of this constant");
  return std::vector<uint8_t>(raw->begin(), raw->end());
}

namespace {
/// `count` values, `rowLength` of them in each pair of braces (0: one flat
/// list), at most `perLine` a line.
template <typename Print>
std::string initializer(size_t count, size_t rowLength, size_t perLine, Print print) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (size_t i = 0; i < count; ++i) {
    size_t inRow = rowLength ? i % rowLength : i;
    if (rowLength && inRow == 0)
      os << "{";
    print(os, i);
    if (rowLength && inRow + 1 == rowLength)
      os << "},\n";
    else
      os << ((inRow + 1) % perLine == 0 || i + 1 == count ? ",\n" : ", ");
  }
  return text;
}
} // namespace

std::string floatInitializer(ArrayRef<float> values, size_t rowLength) {
  return initializer(values.size(), rowLength, 8,
                     [&](llvm::raw_ostream &os, size_t i) { os << floatLiteral(values[i]); });
}

std::string byteInitializer(ArrayRef<uint8_t> bytes, size_t rowLength) {
  return initializer(bytes.size(), rowLength, 16, [&](llvm::raw_ostream &os, size_t i) {
    os << llvm::format("0x%02x", unsigned(bytes[i]));
  });
}

std::string halfWordInitializer(ArrayRef<uint8_t> bytes, size_t rowLength) {
  return initializer(bytes.size() / 2, rowLength, 16, [&](llvm::raw_ostream &os, size_t i) {
    os << llvm::format("0x%04x", unsigned(bytes[2 * i]) | (unsigned(bytes[2 * i + 1]) << 8));
  });
}

} // namespace tern::hls
