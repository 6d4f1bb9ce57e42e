//===- EliminateLinalgMatmul.cpp - linalg contractions to tern ------------===//
//
// Part of tern-eliminate-matmul (the pass is in EliminateMatmul.cpp). Any
// linalg contraction C += A * B (named or generic) whose weight operand is a
// constant with values in {-s, 0, +s} is rewritten to an add/subtract-only
// tern.ternary_accumulate on a [T, K] view of the activation and [N, K] trits,
// followed by the reshapes, transposes and the add of a non-zero init that
// give C's layout back. Loops are classified by the operands they index:
//   batch   - activation, weight and result: one accumulate per index
//   rows    - activation and result: flattened into T
//   cols    - weight and result: flattened into N
//   reduced - activation and weight: flattened into K
//
#include "dialects/Tern/Transforms/EliminateLinalgMatmul.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/IR/WeightData.h"
#include "dialects/Tern/Transforms/ApproximationError.h"
#include "dialects/Tern/Transforms/TernaryWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// More batch slices than this would unroll into too many accumulates.
constexpr int64_t kMaxBatchSlices = 64;

/// How a contraction's loops map onto the [T, K] x [N, K] form.
struct ContractionLoops {
  unsigned weightOperand = 1; // the input operand that holds the constant
  SmallVector<unsigned> batch, rows, cols, reduced;
};

/// What the analysis found out about one linalg op.
struct Candidate {
  bool isContraction = false; // multiplies its two inputs and accumulates
  std::string whyNot;         // set when it is one but stays as it is
  ContractionLoops loops;
  arith::ConstantOp weightConstant;
  ElementsAttr weightValues;
};

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

/// Whether the op reduces and its body is `yield(out + cast?(in0) * cast?(in1))`; sets `whyNot`
/// when it is, but with casts the ternary form cannot reproduce.
bool isMultiplyAccumulate(linalg::LinalgOp op, std::string &whyNot) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || op->getNumRegions() != 1 ||
      op->getRegion(0).empty() || op.getNumReductionLoops() == 0)
    return false;
  Block &body = op->getRegion(0).front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1 || body.getNumArguments() != 3)
    return false;
  Operation *add = yield.getOperand(0).getDefiningOp();
  if (!add || !isa<arith::AddFOp, arith::AddIOp>(add))
    return false;
  Value out = body.getArgument(2), product;
  if (add->getOperand(0) == out)
    product = add->getOperand(1);
  else if (add->getOperand(1) == out)
    product = add->getOperand(0);
  else
    return false;
  Operation *mul = product.getDefiningOp();
  if (!mul || (isa<arith::AddFOp>(add) ? !isa<arith::MulFOp>(mul) : !isa<arith::MulIOp>(mul)))
    return false;
  SmallVector<Operation *> casts;
  unsigned seen = 0; // bit i: block argument i is a factor
  for (Value factor : mul->getOperands()) {
    if (Operation *cast = factor.getDefiningOp()) {
      if (cast->getNumOperands() != 1 || cast->getNumResults() != 1)
        return false;
      casts.push_back(cast);
      factor = cast->getOperand(0);
    }
    auto arg = dyn_cast<BlockArgument>(factor);
    if (!arg || arg.getOwner() != &body || arg.getArgNumber() > 1)
      return false;
    seen |= 1u << arg.getArgNumber();
  }
  if (seen != 3 || body.getOperations().size() != casts.size() + 3)
    return false;
  for (Operation *cast : casts) {
    if (isa<arith::ExtFOp, arith::ExtSIOp>(cast))
      continue;
    whyNot = isa<arith::ExtUIOp>(cast)
                 ? "it zero-extends its integer operands (unsigned); only signed extension keeps "
                   "-s a negative weight"
                 : "it converts an operand with " + cast->getName().getStringRef().str() +
                       ", which the ternary form does not reproduce";
  }
  return true;
}

/// The constant an operand is, if any.
arith::ConstantOp constantOf(Value v) {
  auto constant = v.getDefiningOp<arith::ConstantOp>();
  return constant && isa<ElementsAttr>(constant.getValue()) ? constant : nullptr;
}

std::string number(const char *format, double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format(format, value);
  return text;
}

std::string typeText(Type t) {
  std::string text;
  llvm::raw_string_ostream(text) << t;
  return text;
}

Candidate analyze(linalg::LinalgOp op) {
  Candidate c;
  c.isContraction = isMultiplyAccumulate(op, c.whyNot);
  if (!c.isContraction || !c.whyNot.empty())
    return c;
  auto fail = [&](const Twine &why) {
    c.whyNot = why.str();
    return c;
  };
  if (!op.hasPureTensorSemantics())
    return fail("it works on memrefs; tern-eliminate-matmul rewrites tensors only");
  Type a = getElementTypeOrSelf(op.getDpsInputOperand(0)->get().getType());
  Type b = getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType());
  Type acc = getElementTypeOrSelf(op->getResult(0).getType());
  for (Type t : {a, b, acc})
    if (!isReadableWeightElementType(t))
      return fail("its element type " + typeText(t) +
                  " is not supported (bf16, f16, f32, f64 or 8/16/32/64-bit integers)");
  if (isa<FloatType>(a) != isa<FloatType>(acc) || isa<FloatType>(b) != isa<FloatType>(acc))
    return fail("it mixes integer and float operands");

  if (arith::ConstantOp rhs = constantOf(op.getDpsInputOperand(1)->get())) {
    c.loops.weightOperand = 1;
    c.weightConstant = rhs;
  } else if (arith::ConstantOp lhs = constantOf(op.getDpsInputOperand(0)->get())) {
    c.loops.weightOperand = 0;
    c.weightConstant = lhs;
  } else {
    return fail("no operand is a constant (the weight must be an arith.constant)");
  }
  c.weightValues = cast<ElementsAttr>(c.weightConstant.getValue());

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return fail("its indexing maps are not projected permutations");
  AffineMap xMap = maps[1 - c.loops.weightOperand], wMap = maps[c.loops.weightOperand],
            cMap = maps[2];
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    bool inX = xMap.isFunctionOfDim(d), inW = wMap.isFunctionOfDim(d),
         inC = cMap.isFunctionOfDim(d);
    if (inX && inW && inC)
      c.loops.batch.push_back(d);
    else if (inX && !inW && inC)
      c.loops.rows.push_back(d);
    else if (!inX && inW && inC)
      c.loops.cols.push_back(d);
    else if (inX && inW && !inC && iterators[d] == utils::IteratorType::reduction)
      c.loops.reduced.push_back(d);
    else
      return fail("loop d" + Twine(d) + " is indexed by " +
                  (inC ? "the result" : inX ? "the activation" : "the weight") +
                  " alone; only batch, row, column and reduction loops are supported");
  }
  if (c.loops.reduced.empty())
    return fail("none of its reduction loops indexes both inputs");
  int64_t slices = 1;
  auto weightShape = c.weightValues.getShapedType().getShape();
  for (unsigned d : c.loops.batch)
    slices *= weightShape[*wMap.getResultPosition(getAffineDimExpr(d, op->getContext()))];
  if (slices > kMaxBatchSlices)
    return fail("its " + Twine(slices) + " batch slices each need their own trits (at most " +
                Twine(kMaxBatchSlices) + ")");
  return c;
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// Where (batch b, row n, column k) of the [B][N, K] view lies in the constant.
class WeightLayout {
public:
  WeightLayout(AffineMap wMap, ArrayRef<int64_t> shape, const ContractionLoops &loops) {
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    auto group = [&](ArrayRef<unsigned> dims, SmallVector<std::pair<int64_t, int64_t>> &out) {
      for (unsigned d : dims) {
        unsigned pos = *wMap.getResultPosition(getAffineDimExpr(d, wMap.getContext()));
        out.push_back({shape[pos], strides[pos]});
      }
    };
    group(loops.batch, batch);
    group(loops.cols, cols);
    group(loops.reduced, reduced);
  }

  static int64_t size(ArrayRef<std::pair<int64_t, int64_t>> dims) {
    int64_t n = 1;
    for (auto [extent, stride] : dims)
      n *= extent;
    return n;
  }
  int64_t slices() const { return size(batch); }
  int64_t n() const { return size(cols); }
  int64_t k() const { return size(reduced); }

  int64_t offset(int64_t b, int64_t n, int64_t k) const {
    return part(b, batch) + part(n, cols) + part(k, reduced);
  }

  /// The batch coordinates of slice b, outermost first.
  SmallVector<int64_t> batchCoordinates(int64_t b) const {
    SmallVector<int64_t> coords(batch.size());
    for (int64_t i = int64_t(batch.size()) - 1; i >= 0; --i) {
      coords[i] = b % batch[i].first;
      b /= batch[i].first;
    }
    return coords;
  }

  SmallVector<int64_t> batchSizes() const {
    return llvm::map_to_vector(batch, [](auto p) { return p.first; });
  }
  SmallVector<int64_t> colSizes() const {
    return llvm::map_to_vector(cols, [](auto p) { return p.first; });
  }

private:
  /// Row-major index within a group of dimensions -> offset in the constant.
  static int64_t part(int64_t index, ArrayRef<std::pair<int64_t, int64_t>> dims) {
    int64_t offset = 0;
    for (int64_t i = int64_t(dims.size()) - 1; i >= 0; --i) {
      offset += (index % dims[i].first) * dims[i].second;
      index /= dims[i].first;
    }
    return offset;
  }

  SmallVector<std::pair<int64_t, int64_t>> batch, cols, reduced; // (extent, stride)
};

/// tern.ternary_constant ops made so far, shared by the contractions that read
/// one constant the same way.
using TritsCache = std::map<std::pair<Operation *, std::string>, Value>;

/// The f32 s_w of tern.ternary_constant: 1/s, or 1 where that is not a
/// positive finite f32 (the accumulate's own `scale` is what computes).
float weightScaleOf(double s) {
  float sw = float(1.0 / s);
  return std::isfinite(sw) && sw > 0 ? sw : 1.0f;
}

std::string tritsName(ElementsAttr values, int64_t slice, int64_t slices) {
  std::string name = "trits";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(values))
    name = (resource.getRawHandle().getKey() + ".trits").str();
  if (slices > 1)
    name += "." + std::to_string(slice);
  return name;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

SmallVector<ReassociationIndices> groups(ArrayRef<int64_t> groupSizes) {
  SmallVector<ReassociationIndices> result;
  int64_t next = 0;
  for (int64_t size : groupSizes) {
    ReassociationIndices group;
    for (int64_t i = 0; i < size; ++i)
      group.push_back(next++);
    result.push_back(group);
  }
  return result;
}

Value collapse(OpBuilder &b, Location loc, Value v, ArrayRef<ReassociationIndices> groups) {
  return tensor::CollapseShapeOp::create(b, loc, v, groups);
}

Value expand(OpBuilder &b, Location loc, Value v, ArrayRef<ReassociationIndices> groups,
             ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape = llvm::map_to_vector(sizes, [](OpFoldResult s) {
    std::optional<int64_t> c = getConstantIntValue(s);
    return c ? *c : ShapedType::kDynamic;
  });
  return tensor::ExpandShapeOp::create(b, loc, type.clone(shape), v, groups, sizes);
}

/// [rows..., k...] -> [T, K] (T = 1 when there are no rows).
Value toMatrix(OpBuilder &b, Location loc, Value v, int64_t rows, int64_t reduced) {
  if (rows == 0) {
    if (reduced > 1)
      v = collapse(b, loc, v, groups({reduced}));
    OpFoldResult k = tensor::getMixedSize(b, loc, v, 0);
    return expand(b, loc, v, groups({2}), {b.getIndexAttr(1), k});
  }
  if (rows == 1 && reduced == 1)
    return v;
  return collapse(b, loc, v, groups({rows, reduced}));
}

/// [T, N] -> [rows..., cols...], the inverse of toMatrix on each side.
Value fromMatrix(OpBuilder &b, Location loc, Value v, ArrayRef<OpFoldResult> rowSizes,
                 ArrayRef<int64_t> colSizes) {
  SmallVector<OpFoldResult> sizes(rowSizes);
  for (int64_t c : colSizes)
    sizes.push_back(b.getIndexAttr(c));
  int64_t rows = rowSizes.size(), cols = colSizes.size();
  if (rows == 1 && cols == 1)
    return v;
  if (rows > 0 && cols > 0)
    return expand(b, loc, v, groups({rows, cols}), sizes);
  // A side without dimensions is the unit dimension toMatrix added.
  v = collapse(b, loc, v, rows + cols == 0 ? SmallVector<ReassociationIndices>{} : groups({2}));
  if (rows + cols > 1)
    v = expand(b, loc, v, groups({rows + cols}), sizes);
  return v;
}

/// Whether the init is all zeros, so that C = A * B.
bool isZero(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    init = fill.getInputs()[0];
  return matchPattern(init, m_AnyZeroFloat()) || matchPattern(init, m_Zero());
}

//===----------------------------------------------------------------------===//
// Rewrite
//===----------------------------------------------------------------------===//

/// Erases the producers of `values` (the zero fill of a replaced matmul, an
/// unused tensor.dim) that nothing uses any more, and theirs in turn.
void eraseDeadProducers(RewriterBase &rewriter, ArrayRef<Value> values,
                        const llvm::SetVector<Operation *> &keep) {
  SmallVector<Operation *> worklist;
  for (Value v : values)
    if (Operation *op = v.getDefiningOp())
      worklist.push_back(op);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op) || keep.contains(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *producer = operand.getDefiningOp())
        worklist.push_back(producer);
    rewriter.eraseOp(op);
  }
}

class ContractionRewriter {
public:
  ContractionRewriter(const LinalgMatmulOptions &options) : options(options) {}

  void run(linalg::LinalgOp op) {
    Candidate c = analyze(op);
    if (!c.isContraction)
      return;
    if (c.whyNot.empty())
      rewrite(op, c);
    if (!c.whyNot.empty())
      op->emitRemark() << op->getName() << " left as is: " << c.whyNot;
  }

  /// Weight constants that lost all their users.
  void eraseDeadWeights() {
    for (Operation *constant : usedConstants)
      if (constant->use_empty())
        constant->erase();
  }

private:
  void rewrite(linalg::LinalgOp op, Candidate &c);

  const LinalgMatmulOptions &options;
  TritsCache trits;
  DenseMap<Operation *, Operation *> lastTritsOf;
  llvm::SetVector<Operation *> usedConstants;
};

void ContractionRewriter::rewrite(linalg::LinalgOp op, Candidate &c) {
  const ContractionLoops &loops = c.loops;
  Type accType = getElementTypeOrSelf(op->getResult(0).getType());
  bool isFloat = isa<FloatType>(accType);

  // The weight as trits and one scale: exactly, or by the opt-in absmean.
  std::string notTernary;
  FailureOr<TernaryWeight> weight = readExactTernary(c.weightValues, accType, notTernary);
  if (failed(weight) && options.ternarizeFloatWeights && isFloat)
    weight = ternarizeAbsmean(c.weightValues, accType);
  if (failed(weight)) {
    c.whyNot = "the constant operand is not ternary: " + notTernary;
    if (isFloat)
      c.whyNot += "; set ternarize-float-weights to approximate it";
    return;
  }
  Type f32 = Float32Type::get(op->getContext());
  Type xType = getElementTypeOrSelf(op.getDpsInputOperand(1 - loops.weightOperand)->get());
  bool quantize = options.quantizeActivations && xType == f32 && accType == f32;
  // tern.dequantize divides by s_x * s_w in f32: s_w = 1/s must be a positive finite f32.
  float exactSw = float(1.0 / weight->scaleValue);
  bool swRepresentable = std::isfinite(exactSw) && exactSw > 0;
  quantize = quantize && swRepresentable;

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap xMap = maps[1 - loops.weightOperand], wMap = maps[loops.weightOperand],
            cMap = maps[2];
  WeightLayout layout(wMap, c.weightValues.getShapedType().getShape(), loops);
  int64_t n = layout.n(), k = layout.k(), slices = layout.slices();
  float sw = weightScaleOf(weight->scaleValue);

  // The opt-ins say what they cost, measured on random rows.
  ErrorSums weightError, activationError;
  std::vector<float> latent;
  if (!weight->exact && failed(readWeightAsFloat(c.weightValues, latent)))
    latent.clear();

  IRRewriter rewriter(op->getContext());
  Location loc = op->getLoc();
  auto tritsType = TritsType::get(op->getContext(), n, k, Packing::none);
  std::vector<int8_t> sliceTrits(size_t(n * k));
  std::vector<float> sliceLatent(latent.empty() ? 0 : size_t(n * k));
  SmallVector<Value> sliceTritsValues;
  for (int64_t s = 0; s < slices; ++s) {
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        int64_t from = layout.offset(s, row, col);
        sliceTrits[row * k + col] = weight->trits[from];
        if (!latent.empty())
          sliceLatent[row * k + col] = latent[from];
      }
    if (!weight->exact && !latent.empty())
      addTernarizationError(sliceLatent, sliceTrits, weight->scaleValue, n, k, weightError);
    if (quantize)
      addQuantizationError(sliceTrits, n, k, activationError);

    // Contractions that read this constant the same way share its trits.
    std::string key;
    llvm::raw_string_ostream os(key);
    os << wMap << "|" << s << "|" << weight->exact;
    for (ArrayRef<unsigned> g : {ArrayRef<unsigned>(loops.batch), ArrayRef<unsigned>(loops.cols),
                                 ArrayRef<unsigned>(loops.reduced)}) {
      os << "|";
      llvm::interleaveComma(g, os);
    }
    Value &cached = trits[{c.weightConstant, key}];
    if (!cached) {
      // After the constant and the trits made from it before, in slice order.
      Operation *&last = lastTritsOf[c.weightConstant];
      rewriter.setInsertionPointAfter(last ? last : c.weightConstant.getOperation());
      ElementsAttr bytes =
          makeElementsAttr(tritsType.getStorageType(), tritsName(c.weightValues, s, slices),
                           [&](MutableArrayRef<char> out) {
                             std::memcpy(out.data(), sliceTrits.data(), sliceTrits.size());
                           });
      cached = TernaryConstantOp::create(rewriter, c.weightConstant.getLoc(), tritsType, bytes,
                                         rewriter.getF32FloatAttr(sw));
      last = cached.getDefiningOp();
    }
    sliceTritsValues.push_back(cached);
  }
  usedConstants.insert(c.weightConstant);

  rewriter.setInsertionPoint(op);
  // The activation as [batch..., rows..., reduced...].
  Value x = op.getDpsInputOperand(1 - loops.weightOperand)->get();
  SmallVector<unsigned> xOrder;
  llvm::append_range(xOrder, loops.batch);
  llvm::append_range(xOrder, loops.rows);
  llvm::append_range(xOrder, loops.reduced);
  SmallVector<int64_t> permutation = llvm::map_to_vector(xOrder, [&](unsigned d) {
    return int64_t(*xMap.getResultPosition(getAffineDimExpr(d, op->getContext())));
  });
  if (!llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size()))) {
    SmallVector<OpFoldResult> sizes = llvm::map_to_vector(
        permutation, [&](int64_t p) { return tensor::getMixedSize(rewriter, loc, x, p); });
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, getElementTypeOrSelf(x));
    x = linalg::TransposeOp::create(rewriter, loc, x, init, permutation).getResult()[0];
  }
  int64_t numBatch = loops.batch.size(), numRows = loops.rows.size(),
          numReduced = loops.reduced.size();
  auto xShape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<OpFoldResult> xSizes = tensor::getMixedSizes(rewriter, loc, x);
  ArrayRef<OpFoldResult> rowSizes = ArrayRef(xSizes).slice(numBatch, numRows);
  SmallVector<int64_t> colSizes = layout.colSizes();
  auto one = rewriter.getIndexAttr(1), zero = rewriter.getIndexAttr(0);

  // One accumulate per batch slice.
  SmallVector<Value> results;
  for (int64_t s = 0; s < slices; ++s) {
    Value xs = x;
    if (numBatch > 0) {
      SmallVector<OpFoldResult> offsets, sizes, strides(numBatch + numRows + numReduced, one);
      for (int64_t coord : layout.batchCoordinates(s)) {
        offsets.push_back(rewriter.getIndexAttr(coord));
        sizes.push_back(one);
      }
      for (int64_t i = numBatch; i < int64_t(xShape.size()); ++i) {
        offsets.push_back(zero);
        sizes.push_back(xSizes[i]);
      }
      auto sliceType = RankedTensorType::get(xShape.drop_front(numBatch), getElementTypeOrSelf(x));
      xs = tensor::ExtractSliceOp::create(rewriter, loc, sliceType, x, offsets, sizes, strides);
    }
    Value x2 = toMatrix(rewriter, loc, xs, numRows, numReduced);
    int64_t t = cast<RankedTensorType>(x2.getType()).getDimSize(0);
    Value product;
    if (quantize) {
      auto x2Type = cast<RankedTensorType>(x2.getType());
      auto q = QuantizeOp::create(rewriter, loc, x2Type.clone(rewriter.getI8Type()),
                                  RankedTensorType::get({t}, f32), x2);
      Value acc = TernaryAccumulateOp::create(
          rewriter, loc, RankedTensorType::get({t, n}, rewriter.getI32Type()), q.getResult(),
          sliceTritsValues[s]);
      product = DequantizeOp::create(rewriter, loc, RankedTensorType::get({t, n}, f32), acc,
                                     q.getScale(), rewriter.getF32FloatAttr(sw));
    } else {
      product = TernaryAccumulateOp::create(rewriter, loc, RankedTensorType::get({t, n}, accType),
                                            x2, sliceTritsValues[s], weight->scale);
    }
    results.push_back(fromMatrix(rewriter, loc, product, rowSizes, colSizes));
  }

  // [batch..., rows..., cols...]
  Value full = results.front();
  if (numBatch > 0) {
    SmallVector<OpFoldResult> sizes;
    for (int64_t extent : layout.batchSizes())
      sizes.push_back(rewriter.getIndexAttr(extent));
    llvm::append_range(sizes, rowSizes);
    for (int64_t col : colSizes)
      sizes.push_back(rewriter.getIndexAttr(col));
    full = tensor::EmptyOp::create(rewriter, loc, sizes, accType);
    for (int64_t s = 0; s < slices; ++s) {
      SmallVector<OpFoldResult> offsets, sliceSizes(sizes), strides(sizes.size(), one);
      for (int64_t coord : layout.batchCoordinates(s))
        offsets.push_back(rewriter.getIndexAttr(coord));
      offsets.append(sizes.size() - numBatch, zero);
      for (int64_t i = 0; i < numBatch; ++i)
        sliceSizes[i] = one;
      full = tensor::InsertSliceOp::create(rewriter, loc, results[s], full, offsets, sliceSizes,
                                           strides);
    }
  }

  // C's layout, plus its init unless that is zero.
  SmallVector<unsigned> fullOrder(xOrder.begin(), xOrder.begin() + numBatch + numRows);
  llvm::append_range(fullOrder, loops.cols);
  SmallVector<unsigned> cOrder = llvm::map_to_vector(
      llvm::seq<unsigned>(0, cMap.getNumResults()), [&](unsigned i) { return cMap.getDimPosition(i); });
  Value init = op.getDpsInitOperand(0)->get();
  bool addInit = !isZero(init);
  Value result = full;
  if (addInit || fullOrder != cOrder) {
    MLIRContext *ctx = op->getContext();
    unsigned rank = cOrder.size();
    SmallVector<AffineExpr> fullExprs = llvm::map_to_vector(fullOrder, [&](unsigned d) {
      return getAffineDimExpr(unsigned(llvm::find(cOrder, d) - cOrder.begin()), ctx);
    });
    Value out = init;
    if (!addInit) {
      SmallVector<OpFoldResult> sizes = llvm::map_to_vector(
          llvm::seq<int64_t>(0, rank), [&](int64_t i) { return tensor::getMixedSize(rewriter, loc, init, i); });
      out = tensor::EmptyOp::create(rewriter, loc, sizes, accType);
    }
    result = linalg::GenericOp::create(
                 rewriter, loc, init.getType(), ValueRange{full}, ValueRange{out},
                 ArrayRef<AffineMap>{AffineMap::get(rank, 0, fullExprs, ctx),
                                     AffineMap::getMultiDimIdentityMap(rank, ctx)},
                 SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                 [&](OpBuilder &b, Location loc, ValueRange args) {
                   Value v = args[0];
                   if (addInit)
                     v = isFloat ? arith::AddFOp::create(b, loc, args[1], v).getResult()
                                 : arith::AddIOp::create(b, loc, args[1], v).getResult();
                   linalg::YieldOp::create(b, loc, v);
                 })
                 .getResult(0);
  }

  if (!weight->exact)
    op->emitRemark() << "ternarize-float-weights: weight ternarized with absmean (s_w = "
                     << number("%.4g", 1.0 / weight->scaleValue) << "), relative error "
                     << number("%.3g", weightError.relative()) << " on "
                     << kErrorSampleRows << " random rows";
  if (quantize)
    op->emitRemark() << "quantize-activations: int8 absmax activations, relative error "
                     << number("%.3g", activationError.relative()) << " on "
                     << kErrorSampleRows << " random rows";
  else if (options.quantizeActivations && xType == f32 && accType == f32)
    op->emitRemark() << "quantize-activations not applied: the weight scale 1/s is not a "
                        "positive finite f32; kept the exact ternary form";
  else if (options.quantizeActivations)
    op->emitRemark() << "quantize-activations not applied: it needs f32 activations and an f32 "
                        "result; kept the exact ternary form";
  SmallVector<Value> inputs(op->getOperands());
  for (OpFoldResult size : xSizes)
    if (auto v = dyn_cast<Value>(size))
      inputs.push_back(v);
  rewriter.replaceOp(op, result);
  // Weight constants stay until every contraction is done: others may share them.
  eraseDeadProducers(rewriter, inputs, usedConstants);
}

} // namespace

void mlir::tern::eliminateLinalgMatmuls(Operation *root, const LinalgMatmulOptions &options) {
  SmallVector<linalg::LinalgOp> ops;
  root->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  ContractionRewriter rewriter(options);
  for (linalg::LinalgOp op : ops)
    rewriter.run(op);
  rewriter.eraseDeadWeights();
}
