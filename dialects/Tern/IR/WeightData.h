//===- WeightData.h - reading and making constant weight data ---*- C++ -*-===//
//
// Weights of real models are dense resources (blobs beside the IR, never
// printed inline); small test graphs use ordinary dense attributes. These
// helpers give passes one way to read and make either.
//
#ifndef TERN_IR_WEIGHTDATA_H
#define TERN_IR_WEIGHTDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/LLVM.h"
#include <vector>

namespace mlir::tern {

/// The raw little-endian bytes of a non-splat dense or dense-resource
/// constant, or std::nullopt for anything else (splats included).
std::optional<ArrayRef<char>> getRawElementBytes(ElementsAttr attr);

/// Converts a float constant (bf16, f16, f32; dense, splat or resource) to
/// f32 values. Fails on other element types or unreadable attributes.
LogicalResult readAsFloat32(ElementsAttr attr, std::vector<float> &out);

/// Makes a constant of `type` whose bytes `fill` writes. Large constants
/// become dense resources named after `name`; small ones (under 64
/// elements) stay dense so tests stay readable.
ElementsAttr makeElementsAttr(ShapedType type, StringRef name,
                              function_ref<void(MutableArrayRef<char>)> fill);

} // namespace mlir::tern

#endif // TERN_IR_WEIGHTDATA_H
