//===- WeightData.cpp - reading and making constant weight data -----------===//
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

std::optional<ArrayRef<char>> tern::getRawElementBytes(ElementsAttr attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat() && dense.getNumElements() != 1)
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  return std::nullopt;
}

static float bf16ToFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

LogicalResult tern::readAsFloat32(ElementsAttr attr, std::vector<float> &out) {
  Type elementType = attr.getShapedType().getElementType();
  int64_t count = attr.getNumElements();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr); dense && dense.isSplat()) {
    out.assign(count, dense.getSplatValue<APFloat>().convertToFloat());
    return success();
  }
  std::optional<ArrayRef<char>> raw = getRawElementBytes(attr);
  if (!raw)
    return failure();
  // The bytes must match the type before `out` is sized from the type: a resource blob can be
  // smaller than the shape its attribute claims.
  if (!elementType.isF32() && !elementType.isBF16() && !elementType.isF16())
    return failure();
  int64_t width = elementType.isF32() ? 4 : 2;
  if (raw->size() % width != 0 || int64_t(raw->size() / width) != count)
    return failure();
  out.resize(count);
  const char *bytes = raw->data();
  if (elementType.isF32()) {
    std::memcpy(out.data(), bytes, count * 4);
  } else if (elementType.isBF16()) {
    for (int64_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * i, 2);
      out[i] = bf16ToFloat(bits);
    }
  } else if (elementType.isF16()) {
    for (int64_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * i, 2);
      APFloat half(APFloat::IEEEhalf(), APInt(16, bits));
      out[i] = half.convertToFloat();
    }
  } else {
    return failure();
  }
  return success();
}

ElementsAttr tern::makeElementsAttr(ShapedType type, StringRef name,
                                    function_ref<void(MutableArrayRef<char>)> fill) {
  int64_t bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  if (type.getNumElements() < 64) {
    std::vector<char> data(bytes);
    fill(data);
    return DenseElementsAttr::getFromRawBuffer(type, data);
  }
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes, /*align=*/64);
  fill(blob.getMutableData());
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}
