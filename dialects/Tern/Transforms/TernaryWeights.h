//===- TernaryWeights.h - constants as trits times one scale ----*- C++ -*-===//
//
// tern-eliminate-matmul turns a constant matmul operand into trits and one
// scale s: exactly when its values already are in {-s, 0, +s}, or by absmean
// ternarisation when asked to. These helpers read any dense or dense-resource
// constant of float (bf16, f16, f32, f64) or integer (8/16/32/64-bit) type.
//
#ifndef TERN_TRANSFORMS_TERNARYWEIGHTS_H
#define TERN_TRANSFORMS_TERNARYWEIGHTS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// A constant written as trits times one scale.
struct TernaryWeight {
  /// One trit (-1, 0, 1) per element, in the constant's row-major order.
  std::vector<int8_t> trits;
  /// s in the accumulator's element type; null when s is 1 or every trit is
  /// 0 (no multiplication needed).
  TypedAttr scale;
  /// s as a double, for tern.ternary_constant's s_w = 1/s and the reports.
  double scaleValue = 1.0;
  /// Whether constant == trits * s holds exactly (false after absmean).
  bool exact = true;
};

/// Whether `type` is an element type these helpers read.
bool isReadableWeightElementType(Type type);

/// Reads `values` as trits times one scale when every element, extended to
/// `accType` as the contraction extends it (sign-extension for integers),
/// is -s, 0 or +s. Otherwise fails and says why in `why`.
FailureOr<TernaryWeight> readExactTernary(ElementsAttr values, Type accType, std::string &why);

/// Ternarises a float constant as docs/model-spec does for BitLinear weights:
/// s_w = 1 / max(mean|W|, 1e-5) (mean in f64, s_w rounded to f32),
/// t = clamp(round_half_to_even(W * s_w), -1, 1); the scale is 1 / s_w in
/// `accType`.
FailureOr<TernaryWeight> ternarizeAbsmean(ElementsAttr values, Type accType);

/// The constant's values as floats (f64 rounded to f32; integers converted),
/// for error estimates.
LogicalResult readWeightAsFloat(ElementsAttr values, std::vector<float> &out);

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_TERNARYWEIGHTS_H
