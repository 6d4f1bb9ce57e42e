//===- TernOps.cpp - tern operations: verifiers and folders ---------------===//
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;

#define GET_OP_CLASSES
#include "dialects/Tern/IR/TernOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape-checking helpers shared by the verifiers
//===----------------------------------------------------------------------===//

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s + "]";
}

/// Checks that `value`'s shape has `rank` dimensions and is compatible with
/// `expected` (kDynamic in either matches anything), naming the operand.
static LogicalResult checkShape(Operation *op, StringRef what, Type type,
                                ArrayRef<int64_t> expected) {
  auto shaped = cast<ShapedType>(type);
  ArrayRef<int64_t> actual = shaped.getShape();
  bool ok = actual.size() == expected.size();
  for (size_t i = 0; ok && i < actual.size(); ++i)
    ok = ShapedType::isDynamic(actual[i]) || ShapedType::isDynamic(expected[i]) ||
         actual[i] == expected[i];
  if (ok)
    return success();
  return op->emitOpError() << what << " must have shape " << shapeString(expected)
                           << ", got " << shapeString(actual);
}

static LogicalResult checkRank(Operation *op, StringRef what, Type type, int64_t rank,
                               StringRef meaning) {
  auto shaped = cast<ShapedType>(type);
  if (shaped.getRank() == rank)
    return success();
  return op->emitOpError() << what << " must be rank " << rank << " " << meaning << ", got "
                           << shapeString(shaped.getShape());
}

static ArrayRef<int64_t> shapeOf(Value v) { return cast<ShapedType>(v.getType()).getShape(); }

static constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// Graph level
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  if (failed(checkRank(*this, "table", getTable().getType(), 2, "[V, H]")) ||
      failed(checkRank(*this, "ids", getIds().getType(), 1, "[T]")))
    return failure();
  return checkShape(*this, "result", getType(), {shapeOf(getIds())[0], shapeOf(getTable())[1]});
}

LogicalResult RMSNormOp::verify() {
  auto shape = shapeOf(getInput());
  if (shape.empty())
    return emitOpError("input must have at least one dimension");
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return checkShape(*this, "weight", getWeight().getType(), {shape.back()});
}

/// The [N, K] shape of a BitLinear or accumulate weight, float or trits.
static SmallVector<int64_t, 2> weightShape(Type type) {
  if (auto trits = dyn_cast<TritsType>(type))
    return {trits.getRows(), trits.getCols()};
  return llvm::to_vector<2>(cast<ShapedType>(type).getShape());
}

LogicalResult BitLinearOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, K]")))
    return failure();
  SmallVector<int64_t, 2> w = weightShape(getWeight().getType());
  if (w.size() != 2)
    return emitOpError() << "weight must be rank 2 [N, K], got " << shapeString(w);
  int64_t t = shapeOf(getInput())[0], k = shapeOf(getInput())[1];
  if (!ShapedType::isDynamic(k) && w[1] != k)
    return emitOpError() << "weight must have " << k << " columns (the input's K), got shape "
                         << shapeString(w);
  if (failed(checkShape(*this, "norm weight", getNormWeight().getType(), {w[1]})))
    return failure();
  return checkShape(*this, "result", getType(), {t, w[0]});
}

LogicalResult LowerBoundsOp::verify() {
  return checkRank(*this, "input", getInput().getType(), 2, "[L, H]");
}

OpFoldResult LowerBoundsOp::fold(FoldAdaptor adaptor) {
  auto raw = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  auto type = cast<RankedTensorType>(getType());
  // Real lower bounds are [L, H], tens of thousands of floats; folding a huge splat would allocate
  // gigabytes for a constant nobody needs folded.
  constexpr int64_t kMaxFoldElements = int64_t(1) << 24;
  std::vector<float> x;
  if (!raw || !type.hasStaticShape() || type.getNumElements() > kMaxFoldElements ||
      failed(readAsFloat32(raw, x)))
    return {};
  int64_t layers = type.getDimSize(0), hidden = type.getDimSize(1);
  std::vector<float> lb(x.size());
  // Per column: softmax over layers, cumulative sum, minus the first row.
  for (int64_t h = 0; h < hidden; ++h) {
    float m = -INFINITY;
    for (int64_t l = 0; l < layers; ++l)
      m = std::max(m, x[l * hidden + h]);
    float sum = 0;
    for (int64_t l = 0; l < layers; ++l)
      sum += std::exp(x[l * hidden + h] - m);
    float acc = 0, first = 0;
    for (int64_t l = 0; l < layers; ++l) {
      float p = std::exp(x[l * hidden + h] - m) / sum;
      if (l == 0)
        first = p;
      acc += p;
      lb[l * hidden + h] = acc - first;
    }
  }
  return makeElementsAttr(type, "lower_bounds", [&](MutableArrayRef<char> out) {
    std::memcpy(out.data(), lb.data(), lb.size() * sizeof(float));
  });
}

LogicalResult ForgetGateOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, H]")))
    return failure();
  if (!getLowerBound())
    return success();
  return checkShape(*this, "lower bound", getLowerBound().getType(), {shapeOf(getInput())[1]});
}

LogicalResult MLGRUOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, H]")))
    return failure();
  auto in = shapeOf(getInput());
  if (failed(checkShape(*this, "initial state", getInitialState().getType(), {in[1]})))
    return failure();
  return success();
}

LogicalResult MLGRUStepOp::verify() {
  return checkRank(*this, "input", getInput().getType(), 2, "[B, H]");
}

LogicalResult SwishGateNormOp::verify() {
  if (failed(checkRank(*this, "gate", getGate().getType(), 2, "[T, H]")))
    return failure();
  return checkShape(*this, "weight", getWeight().getType(), {shapeOf(getGate())[1]});
}

LogicalResult GLUOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, 2I]")))
    return failure();
  auto in = shapeOf(getInput());
  if (!ShapedType::isDynamic(in[1]) && in[1] % 2 != 0)
    return emitOpError() << "input's last dimension must be even (gate and up halves), got "
                         << in[1];
  return checkShape(*this, "result", getType(),
                    {in[0], ShapedType::isDynamic(in[1]) ? kDyn : in[1] / 2});
}

//===----------------------------------------------------------------------===//
// Matmul-free level
//===----------------------------------------------------------------------===//

LogicalResult TernaryConstantOp::verify() {
  auto trits = cast<TritsType>(getType());
  auto valueType = cast<ShapedType>(getValue().getType());
  if (!valueType.getElementType().isInteger(8))
    return emitOpError() << "value must hold i8 bytes, got element type "
                         << valueType.getElementType();
  if (failed(checkShape(*this, "value", valueType, trits.getStorageType().getShape())))
    return failure();
  if (!(getScale().convertToFloat() > 0))
    return emitOpError() << "scale must be positive, got " << getScale().convertToFloat();
  if (trits.getPacking() == Packing::none) {
    if (auto dense = dyn_cast<DenseIntElementsAttr>(getValue())) {
      auto checkTrit = [&](const APInt &v) -> LogicalResult {
        if (int64_t s = v.getSExtValue(); s < -1 || s > 1)
          return emitOpError() << "value with packing none must hold trits in {-1, 0, 1}, found "
                               << s;
        return success();
      };
      // A splat is one value however large its shape (iterating 2^31 copies would hang).
      if (dense.isSplat())
        return checkTrit(dense.getSplatValue<APInt>());
      for (APInt v : dense.getValues<APInt>())
        if (failed(checkTrit(v)))
          return failure();
    }
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, K]")))
    return failure();
  auto in = shapeOf(getInput());
  if (failed(checkShape(*this, "result", getResult().getType(), in)))
    return failure();
  return checkShape(*this, "scale", getScale().getType(), {in[0]});
}

LogicalResult TernaryAccumulateOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, K]")))
    return failure();
  auto in = shapeOf(getInput());
  auto trits = cast<TritsType>(getWeight().getType());
  if (!ShapedType::isDynamic(in[1]) && in[1] != trits.getCols())
    return emitOpError() << "weight must have " << in[1] << " columns (the input's K), got "
                         << trits;
  if (failed(checkShape(*this, "result", getType(), {in[0], trits.getRows()})))
    return failure();
  Type from = getInput().getType().getElementType();
  Type to = getType().getElementType();
  bool bothInt = isa<IntegerType>(from) && isa<IntegerType>(to);
  bool bothFloat = isa<FloatType>(from) && isa<FloatType>(to);
  // The input is extended to the result type, never truncated.
  bool widens = from == to || from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth();
  if (!(bothInt || bothFloat) || !widens)
    return emitOpError() << "result element type must be " << from
                         << " or a wider type of the same kind (integer or float), got " << to;
  if (TypedAttr scale = getScaleAttr(); scale && scale.getType() != to)
    return emitOpError() << "scale must have the result's element type " << to << ", got "
                         << scale.getType();
  return success();
}

LogicalResult DequantizeOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 2, "[T, N]")))
    return failure();
  auto in = shapeOf(getInput());
  if (!(getWeightScale().convertToFloat() > 0))
    return emitOpError() << "weight_scale must be positive, got "
                         << getWeightScale().convertToFloat();
  if (failed(checkShape(*this, "scale", getScale().getType(), {in[0]})))
    return failure();
  return checkShape(*this, "result", getType(), in);
}
