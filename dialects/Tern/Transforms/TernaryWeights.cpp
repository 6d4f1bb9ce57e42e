//===- TernaryWeights.cpp - constants as trits times one scale ------------===//
#include "dialects/Tern/Transforms/TernaryWeights.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallString.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The bits of each element of a constant, splat or not, little-endian.
class ElementBits {
public:
  static FailureOr<ElementBits> get(ElementsAttr attr) {
    if (!isReadableWeightElementType(attr.getElementType()))
      return failure();
    ElementBits reader;
    reader.width = attr.getElementType().getIntOrFloatBitWidth();
    int64_t bytes = reader.width / 8;
    if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat()) {
      reader.raw = dense.getRawData(); // a splat stores one element
      reader.splat = true;
    } else if (std::optional<ArrayRef<char>> raw = getRawElementBytes(attr)) {
      reader.raw = *raw;
    } else {
      return failure();
    }
    int64_t expected = reader.splat ? bytes : attr.getNumElements() * bytes;
    if (int64_t(reader.raw.size()) != expected)
      return failure();
    return reader;
  }

  APInt at(int64_t i) const {
    uint64_t bits = 0;
    std::memcpy(&bits, raw.data() + (splat ? 0 : i * (width / 8)), width / 8);
    return APInt(width, bits);
  }

  unsigned width = 0;

private:
  ArrayRef<char> raw;
  bool splat = false;
};

std::string text(const APFloat &v) {
  SmallString<16> s;
  v.toString(s);
  return std::string(s);
}

std::string text(const APInt &v) {
  SmallString<16> s;
  v.toString(s, 10, /*Signed=*/true);
  return std::string(s);
}

} // namespace

bool mlir::tern::isReadableWeightElementType(Type type) {
  if (isa<BFloat16Type, Float16Type, Float32Type, Float64Type>(type))
    return true;
  auto integer = dyn_cast<IntegerType>(type);
  return integer && integer.isSignless() &&
         llvm::is_contained({8u, 16u, 32u, 64u}, integer.getWidth());
}

FailureOr<TernaryWeight> mlir::tern::readExactTernary(ElementsAttr values, Type accType,
                                                      std::string &why) {
  FailureOr<ElementBits> bits = ElementBits::get(values);
  if (failed(bits)) {
    why = "its values cannot be read (expected a dense or dense_resource constant of bf16, "
          "f16, f32, f64 or 8/16/32/64-bit integers)";
    return failure();
  }
  int64_t count = values.getNumElements();
  TernaryWeight weight;
  weight.trits.resize(count);
  if (auto floatType = dyn_cast<FloatType>(values.getElementType())) {
    const llvm::fltSemantics &semantics = floatType.getFloatSemantics();
    std::optional<APFloat> s;
    for (int64_t i = 0; i < count; ++i) {
      APFloat v(semantics, bits->at(i));
      if (!v.isFinite()) {
        why = "it holds " + text(v);
        return failure();
      }
      if (v.isZero()) {
        weight.trits[i] = 0;
        continue;
      }
      APFloat magnitude = abs(v);
      if (!s)
        s = magnitude;
      else if (magnitude.compare(*s) != APFloat::cmpEqual) {
        why = "its values are not all in {-s, 0, +s} (found " + text(*s) + " and " +
              text(v) + ")";
        return failure();
      }
      weight.trits[i] = v.isNegative() ? -1 : 1;
    }
    if (s && !s->isExactlyValue(1.0)) {
      // Widening to the accumulator's type is exact.
      APFloat wide = *s;
      bool losesInfo = false;
      wide.convert(cast<FloatType>(accType).getFloatSemantics(), APFloat::rmNearestTiesToEven,
                   &losesInfo);
      weight.scale = FloatAttr::get(accType, wide);
    }
    weight.scaleValue = s ? s->convertToDouble() : 1.0;
    return weight;
  }

  // Integers: compare in the accumulator's width, as the contraction
  // sign-extends before it multiplies; arithmetic there wraps, so
  // s * sum(+-x) equals sum(w * x) bit for bit.
  unsigned accWidth = accType.getIntOrFloatBitWidth();
  std::optional<APInt> s;
  for (int64_t i = 0; i < count; ++i) {
    APInt v = bits->at(i).sext(accWidth);
    if (v.isZero()) {
      weight.trits[i] = 0;
      continue;
    }
    if (!s)
      s = v.abs(); // the minimum value is its own absolute value: still consistent
    if (v == *s)
      weight.trits[i] = 1;
    else if (v == -*s)
      weight.trits[i] = -1;
    else {
      why = "its values are not all in {-s, 0, +s} (found " + text(*s) + " and " + text(v) + ")";
      return failure();
    }
  }
  if (s && !s->isOne())
    weight.scale = IntegerAttr::get(accType, *s);
  weight.scaleValue = s ? double(s->getSExtValue()) : 1.0;
  return weight;
}

LogicalResult mlir::tern::readWeightAsFloat(ElementsAttr values, std::vector<float> &out) {
  if (succeeded(readAsFloat32(values, out)))
    return success();
  FailureOr<ElementBits> bits = ElementBits::get(values);
  if (failed(bits))
    return failure();
  int64_t count = values.getNumElements();
  out.resize(count);
  Type type = values.getElementType();
  for (int64_t i = 0; i < count; ++i) {
    if (auto floatType = dyn_cast<FloatType>(type))
      out[i] = float(APFloat(floatType.getFloatSemantics(), bits->at(i)).convertToDouble());
    else
      out[i] = float(bits->at(i).getSExtValue());
  }
  return success();
}

FailureOr<TernaryWeight> mlir::tern::ternarizeAbsmean(ElementsAttr values, Type accType) {
  std::vector<float> w;
  if (!isa<FloatType>(values.getElementType()) || failed(readWeightAsFloat(values, w)))
    return failure();
  double sumAbs = 0;
  for (float v : w)
    sumAbs += std::fabs(double(v));
  double mean = w.empty() ? 0.0 : sumAbs / double(w.size());
  float sw = float(1.0 / std::max(mean, 1e-5));
  TernaryWeight weight;
  weight.exact = false;
  weight.trits.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    float rounded = std::nearbyint(w[i] * sw); // default rounding: half to even
    weight.trits[i] = int8_t(std::clamp(rounded, -1.0f, 1.0f));
  }
  weight.scaleValue = 1.0 / double(sw);
  weight.scale = FloatAttr::get(accType, weight.scaleValue);
  return weight;
}
