//===- TernToLinalg.cpp - tern ops to linalg/tensor/scf on tensors --------===//
//
// Every lowering keeps the order of floating-point operations that
// docs/model-spec (and examples/reference) uses, so that compiled logits match
// the reference to float rounding.
//
#include "compiler/Conversion/Passes.h"
#include "compiler/Conversion/TernToLinalg/KernelMarkers.h"
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNTOLINALG
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

//===----------------------------------------------------------------------===//
// Small builders
//===----------------------------------------------------------------------===//

Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
}

/// An uninitialised tensor shaped like `dims` of `like` (dynamic sizes read
/// from it), with element type `elementType`.
Value emptyLike(OpBuilder &b, Location loc, Value like, ArrayRef<int64_t> dims,
                Type elementType) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : dims)
    sizes.push_back(tensor::getMixedSize(b, loc, like, d));
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value filled(OpBuilder &b, Location loc, Value empty, Value value) {
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = f32Const(b, loc, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

Value silu(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, x));
}

/// Identity map and the map dropping the last dimension, for rank `rank`.
AffineMap identity(MLIRContext *ctx, unsigned rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}
AffineMap dropLast(MLIRContext *ctx, unsigned rank) {
  return identity(ctx, rank).getMajorSubMap(rank - 1);
}
AffineMap onlyLast(MLIRContext *ctx, unsigned rank) {
  return AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
}

SmallVector<IteratorType> parallels(unsigned rank) { return SmallVector<IteratorType>(rank, kPar); }

/// sum over the last dimension of x*x: the first half of an RMS norm.
Value sumOfSquares(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> outer = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  Value acc = filled(b, loc, emptyLike(b, loc, x, outer, b.getF32Type()), f32Const(b, loc, 0));
  SmallVector<IteratorType> iters = parallels(rank);
  iters.back() = kRed;
  MLIRContext *ctx = b.getContext();
  auto sum = linalg::GenericOp::create(
      b, loc, acc.getType(), ValueRange{x}, ValueRange{acc},
      ArrayRef<AffineMap>{identity(ctx, rank), dropLast(ctx, rank)}, iters,
      [](OpBuilder &b, Location loc, ValueRange args) {
        Value sq = arith::MulFOp::create(b, loc, args[0], args[0]);
        linalg::YieldOp::create(b, loc, ValueRange{arith::AddFOp::create(b, loc, args[1], sq)});
      });
  // A backend may sum in the reference's order instead of this sequential one (KernelMarkers.h).
  sum->setAttr(kRowSumOfSquaresAttr, b.getUnitAttr());
  return sum.getResult(0);
}

/// 1 / sqrt(sum / n + eps): the per-row factor of an RMS norm.
Value rmsFactor(OpBuilder &b, Location loc, Value sum, Value n, Value eps) {
  Value mean = arith::DivFOp::create(b, loc, sum, n);
  Value root = math::SqrtOp::create(b, loc, arith::AddFOp::create(b, loc, mean, eps));
  return arith::DivFOp::create(b, loc, f32Const(b, loc, 1.0), root);
}

/// The size of x's last dimension as an f32 value.
Value lastDimAsFloat(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value dim = tensor::DimOp::create(b, loc, x, type.getRank() - 1);
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), i64);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// rms_norm(x, weight, eps) over the last dimension, then `tail(normed,
/// extras...)` per element, in one linalg.generic. `extras` are tensors shaped
/// like x (the swish gate's hidden state).
Value normalizeRows(OpBuilder &b, Location loc, Value x, Value weight, float epsilon,
                    ValueRange extras,
                    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> tail) {
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  MLIRContext *ctx = b.getContext();
  Value sum = sumOfSquares(b, loc, x);
  Value n = lastDimAsFloat(b, loc, x);
  Value eps = f32Const(b, loc, epsilon);
  Value out = emptyLike(b, loc, x, llvm::to_vector(llvm::seq<int64_t>(0, rank)), b.getF32Type());
  SmallVector<Value> inputs{x, sum, weight};
  llvm::append_range(inputs, extras);
  SmallVector<AffineMap> maps{identity(ctx, rank), dropLast(ctx, rank), onlyLast(ctx, rank)};
  maps.append(extras.size() + 1, identity(ctx, rank));
  return linalg::GenericOp::create(
             b, loc, out.getType(), inputs, ValueRange{out}, maps, parallels(rank),
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Value r = rmsFactor(b, loc, args[1], n, eps);
               // (x * r) * w: the order of the reference.
               Value y = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, args[0], r),
                                               args[2]);
               ValueRange extraArgs = args.slice(3, extras.size());
               linalg::YieldOp::create(b, loc, tail ? tail(b, loc, y, extraArgs) : y);
             })
      .getResult(0);
}

struct LowerRMSNorm : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, normalizeRows(rewriter, op.getLoc(), adaptor.getInput(),
                                         adaptor.getWeight(), op.getEpsilon().convertToFloat(),
                                         {}, nullptr));
    return success();
  }
};

struct LowerSwishGateNorm : OpConversionPattern<SwishGateNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SwishGateNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    // rms_norm(g) * h * sigmoid(h)
    auto tail = [](OpBuilder &b, Location loc, Value normed, ValueRange extra) -> Value {
      Value gated = arith::MulFOp::create(b, loc, normed, extra[0]);
      return arith::MulFOp::create(b, loc, gated, sigmoid(b, loc, extra[0]));
    };
    rewriter.replaceOp(op, normalizeRows(rewriter, op.getLoc(), adaptor.getGate(),
                                         adaptor.getWeight(), op.getEpsilon().convertToFloat(),
                                         ValueRange{adaptor.getHidden()}, tail));
    return success();
  }
};

struct LowerEmbedding : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable(), ids = adaptor.getIds();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(rewriter, loc, ids, 0),
                                    tensor::getMixedSize(rewriter, loc, table, 1)};
    Value out = tensor::EmptyOp::create(rewriter, loc, sizes, rewriter.getF32Type());
    MLIRContext *ctx = getContext();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{ids}, ValueRange{out},
        ArrayRef<AffineMap>{AffineMap::get(2, 0, getAffineDimExpr(0, ctx)), identity(ctx, 2)},
        parallels(2), [&](OpBuilder &b, Location loc, ValueRange args) {
          Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
          Value col = linalg::IndexOp::create(b, loc, 1);
          Value v = tensor::ExtractOp::create(b, loc, table, ValueRange{row, col});
          if (!v.getType().isF32())
            v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
          linalg::YieldOp::create(b, loc, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerForgetGate : OpConversionPattern<ForgetGateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ForgetGateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value z = adaptor.getInput();
    Value out = emptyLike(rewriter, loc, z, {0, 1}, rewriter.getF32Type());
    MLIRContext *ctx = getContext();
    SmallVector<Value> inputs{z};
    SmallVector<AffineMap> maps{identity(ctx, 2)};
    if (Value lb = adaptor.getLowerBound()) {
      inputs.push_back(lb);
      maps.push_back(onlyLast(ctx, 2));
    }
    maps.push_back(identity(ctx, 2));
    bool bounded = inputs.size() == 2;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, out.getType(), inputs, ValueRange{out}, maps, parallels(2),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value f = sigmoid(b, loc, args[0]);
          if (bounded) {
            Value lb = args[1];
            Value rest = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0), lb);
            f = arith::AddFOp::create(b, loc, lb, arith::MulFOp::create(b, loc, rest, f));
          }
          linalg::YieldOp::create(b, loc, f);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerMLGRU : OpConversionPattern<MLGRUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MLGRUOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value i = adaptor.getInput(), f = adaptor.getForget(), h0 = adaptor.getInitialState();
    MLIRContext *ctx = getContext();
    // a = silu(i) * (1 - f), for every token at once.
    Value aInit = emptyLike(rewriter, loc, i, {0, 1}, rewriter.getF32Type());
    Value a = linalg::GenericOp::create(
                  rewriter, loc, aInit.getType(), ValueRange{i, f}, ValueRange{aInit},
                  ArrayRef<AffineMap>{identity(ctx, 2), identity(ctx, 2), identity(ctx, 2)},
                  parallels(2),
                  [&](OpBuilder &b, Location loc, ValueRange args) {
                    Value keep = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0), args[1]);
                    linalg::YieldOp::create(
                        b, loc, ValueRange{arith::MulFOp::create(b, loc, silu(b, loc, args[0]), keep)});
                  })
                  .getResult(0);

    // h_t = f_t * h_{t-1} + a_t, one token after the other; h is updated in place.
    Value tokens = tensor::DimOp::create(rewriter, loc, i, 0);
    OpFoldResult hidden = tensor::getMixedSize(rewriter, loc, i, 1);
    Value hiddenInit = emptyLike(rewriter, loc, i, {0, 1}, rewriter.getF32Type());
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, tokens, one, ValueRange{h0, hiddenInit},
        [&](OpBuilder &b, Location loc, Value t, ValueRange iter) {
          SmallVector<OpFoldResult> offsets{t, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), hidden};
          SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
          auto rowType = cast<RankedTensorType>(h0.getType());
          Value ft = tensor::ExtractSliceOp::create(b, loc, rowType, f, offsets, sizes, strides);
          Value at = tensor::ExtractSliceOp::create(b, loc, rowType, a, offsets, sizes, strides);
          Value h = linalg::GenericOp::create(
                        b, loc, rowType, ValueRange{ft, at}, ValueRange{iter[0]},
                        ArrayRef<AffineMap>{identity(ctx, 1), identity(ctx, 1), identity(ctx, 1)},
                        parallels(1),
                        [&](OpBuilder &b, Location loc, ValueRange args) {
                          Value fh = arith::MulFOp::create(b, loc, args[0], args[2]);
                          linalg::YieldOp::create(b, loc, ValueRange{arith::AddFOp::create(b, loc, fh, args[1])});
                        })
                        .getResult(0);
          Value all = tensor::InsertSliceOp::create(b, loc, h, iter[1], offsets, sizes, strides);
          scf::YieldOp::create(b, loc, ValueRange{h, all});
        });
    rewriter.replaceOp(op, {loop.getResult(1), loop.getResult(0)});
    return success();
  }
};

struct LowerMLGRUStep : OpConversionPattern<MLGRUStepOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MLGRUStepOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value out = emptyLike(rewriter, loc, adaptor.getInput(), {0, 1}, rewriter.getF32Type());
    // The float operations of LowerMLGRU's two generics for one token, in the
    // same order (keep, silu * keep, f * h, + a), so that a sequence stepped
    // here matches its single-sequence decode bit for bit.
    auto generic = linalg::GenericOp::create(
        rewriter, loc, out.getType(),
        ValueRange{adaptor.getInput(), adaptor.getForget(), adaptor.getPrevious()}, ValueRange{out},
        ArrayRef<AffineMap>{identity(ctx, 2), identity(ctx, 2), identity(ctx, 2), identity(ctx, 2)},
        parallels(2), [&](OpBuilder &b, Location loc, ValueRange args) {
          Value keep = arith::SubFOp::create(b, loc, f32Const(b, loc, 1.0), args[1]);
          Value a = arith::MulFOp::create(b, loc, silu(b, loc, args[0]), keep);
          Value fh = arith::MulFOp::create(b, loc, args[1], args[2]);
          linalg::YieldOp::create(b, loc, ValueRange{arith::AddFOp::create(b, loc, fh, a)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerGLU : OpConversionPattern<GLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GLUOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    if (resultType.isDynamicDim(1))
      return rewriter.notifyMatchFailure(op, "GLU width must be static");
    int64_t half = resultType.getDimSize(1);
    OpFoldResult tokens = tensor::getMixedSize(rewriter, loc, x, 0);
    SmallVector<OpFoldResult> sizes{tokens, rewriter.getIndexAttr(half)};
    SmallVector<OpFoldResult> strides{rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)};
    auto slice = [&](int64_t col) {
      SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0), rewriter.getIndexAttr(col)};
      return tensor::ExtractSliceOp::create(rewriter, loc, x, offsets, sizes, strides);
    };
    Value gate = slice(0), up = slice(half);
    Value out = tensor::EmptyOp::create(rewriter, loc, sizes, rewriter.getF32Type());
    MLIRContext *ctx = getContext();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{gate, up}, ValueRange{out},
        ArrayRef<AffineMap>{identity(ctx, 2), identity(ctx, 2), identity(ctx, 2)}, parallels(2),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, ValueRange{arith::MulFOp::create(b, loc, silu(b, loc, args[0]), args[1])});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerQuantize : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value y = adaptor.getInput();
    MLIRContext *ctx = getContext();
    // absmax per row
    Value maxInit =
        filled(rewriter, loc, emptyLike(rewriter, loc, y, {0}, rewriter.getF32Type()),
               f32Const(rewriter, loc, 0));
    Value absMax = linalg::GenericOp::create(
                       rewriter, loc, maxInit.getType(), ValueRange{y}, ValueRange{maxInit},
                       ArrayRef<AffineMap>{identity(ctx, 2), dropLast(ctx, 2)},
                       ArrayRef<IteratorType>{kPar, kRed},
                       [](OpBuilder &b, Location loc, ValueRange args) {
                         Value a = math::AbsFOp::create(b, loc, args[0]);
                         linalg::YieldOp::create(b, loc, ValueRange{arith::MaximumFOp::create(b, loc, args[1], a)});
                       })
                       .getResult(0);
    // s_x = 127 / max(absmax, 1e-5)
    Value scaleInit = emptyLike(rewriter, loc, y, {0}, rewriter.getF32Type());
    Value scale = linalg::GenericOp::create(
                      rewriter, loc, scaleInit.getType(), ValueRange{absMax}, ValueRange{scaleInit},
                      ArrayRef<AffineMap>{identity(ctx, 1), identity(ctx, 1)}, parallels(1),
                      [](OpBuilder &b, Location loc, ValueRange args) {
                        Value m = arith::MaximumFOp::create(b, loc, args[0], f32Const(b, loc, 1e-5));
                        linalg::YieldOp::create(b, loc, ValueRange{arith::DivFOp::create(b, loc, f32Const(b, loc, 127.0), m)});
                      })
                      .getResult(0);
    // q = clamp(round_half_away(y * s_x), -128, 127)
    Value qInit = emptyLike(rewriter, loc, y, {0, 1}, rewriter.getI8Type());
    Value q = linalg::GenericOp::create(
                  rewriter, loc, qInit.getType(), ValueRange{y, scale}, ValueRange{qInit},
                  ArrayRef<AffineMap>{identity(ctx, 2), dropLast(ctx, 2), identity(ctx, 2)},
                  parallels(2),
                  [](OpBuilder &b, Location loc, ValueRange args) {
                    Value r = math::RoundOp::create(b, loc, arith::MulFOp::create(b, loc, args[0], args[1]));
                    r = arith::MaximumFOp::create(b, loc, r, f32Const(b, loc, -128.0));
                    r = arith::MinimumFOp::create(b, loc, r, f32Const(b, loc, 127.0));
                    linalg::YieldOp::create(b, loc, ValueRange{arith::FPToSIOp::create(b, loc, b.getI8Type(), r)});
                  })
                  .getResult(0);
    rewriter.replaceOp(op, {q, scale});
    return success();
  }
};

/// The trit (-1, 0, 1 as i32) for column `k` from its storage byte.
Value decodeTrit(OpBuilder &b, Location loc, Value byte, Value k, Packing packing) {
  Type i32 = b.getI32Type();
  auto c32 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
  if (packing == Packing::none)
    return arith::ExtSIOp::create(b, loc, i32, byte);
  Value code = arith::ExtUIOp::create(b, loc, i32, byte);
  Value kk = arith::IndexCastOp::create(b, loc, i32, k);
  if (packing == Packing::two_bit || packing == Packing::two_bit_tiled) {
    // Bit pair k%4 (two_bit) or (k%16)/4 (two_bit_tiled) of the byte.
    Value pair = packing == Packing::two_bit
                     ? arith::RemUIOp::create(b, loc, kk, c32(4)).getResult()
                     : arith::DivUIOp::create(b, loc, arith::RemUIOp::create(b, loc, kk, c32(16)),
                                              c32(4))
                           .getResult();
    Value shift = arith::ShLIOp::create(b, loc, pair, c32(1));
    code = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, code, shift), c32(3));
  } else { // base3: digit k%5 of the byte; base3_tiled: digit (k%20)/4
    Value digit = packing == Packing::base3
                      ? arith::RemUIOp::create(b, loc, kk, c32(5)).getResult()
                      : arith::DivUIOp::create(b, loc, arith::RemUIOp::create(b, loc, kk, c32(20)),
                                               c32(4))
                            .getResult();
    Value divisor = c32(1);
    for (int64_t d = 1, p = 3; d < 5; ++d, p *= 3) {
      Value isD = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, digit, c32(d));
      divisor = arith::SelectOp::create(b, loc, isD, c32(p), divisor);
    }
    code = arith::RemUIOp::create(b, loc, arith::DivUIOp::create(b, loc, code, divisor), c32(3));
  }
  return arith::SubIOp::create(b, loc, code, c32(1));
}

/// Selects +x, -x or nothing by the trit and adds it to `acc`: integers
/// (sign-extended to the accumulator type) or floats (extended exactly).
Value accumulateTrit(OpBuilder &b, Location loc, Value acc, Value x, Value trit) {
  Type accType = acc.getType();
  Type i32 = b.getI32Type();
  Value zeroTrit = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value isPlus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, trit, zeroTrit);
  Value isMinus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, trit, zeroTrit);
  if (isa<FloatType>(accType)) {
    if (x.getType() != accType)
      x = arith::ExtFOp::create(b, loc, accType, x);
    // Adds or subtracts x; a zero trit leaves the sum untouched (no +0.0).
    Value plus = arith::AddFOp::create(b, loc, acc, x);
    Value minus = arith::SubFOp::create(b, loc, acc, x);
    return arith::SelectOp::create(b, loc, isPlus, plus,
                                   arith::SelectOp::create(b, loc, isMinus, minus, acc));
  }
  if (x.getType() != accType)
    x = arith::ExtSIOp::create(b, loc, accType, x);
  Value zero = arith::ConstantIntOp::create(b, loc, accType, 0);
  Value minusX = arith::SubIOp::create(b, loc, zero, x);
  Value term = arith::SelectOp::create(b, loc, isPlus, x,
                                       arith::SelectOp::create(b, loc, isMinus, minusX, zero));
  return arith::AddIOp::create(b, loc, acc, term);
}

/// The storage byte of trit (n, k) as an affine map of the loops (t, n, k):
/// (n, k / per) for the row-major packings; for the tiled ones, byte
/// 64*(k/C) + 4*(n%16) + k%4 of the run of storage rows 16*(n/16).., with C = 16
/// (two_bit_tiled) or 20 (base3_tiled) columns a tile (TernAttrs.td).
AffineMap weightByteMap(TritsType trits, MLIRContext *ctx) {
  AffineExpr n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
  if (isRowMajor(trits.getPacking()))
    return AffineMap::get(3, 0, {n, k.floorDiv(tritsPerByte(trits.getPacking()))}, ctx);
  int64_t rowBytes = trits.getRowBytes();
  AffineExpr inRun =
      k.floorDiv(tileCols(trits.getPacking())) * kTileBytes + (n % kTileRows) * 4 + k % 4;
  return AffineMap::get(3, 0,
                        {n.floorDiv(kTileRows) * kTileRows + inRun.floorDiv(rowBytes),
                         inRun % rowBytes},
                        ctx);
}

struct LowerTernaryAccumulate : OpConversionPattern<TernaryAccumulateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TernaryAccumulateOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto trits = cast<TritsType>(op.getWeight().getType());
    Packing packing = trits.getPacking();
    Value q = adaptor.getInput(), w = adaptor.getWeight();
    MLIRContext *ctx = getContext();
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(rewriter, loc, q, 0),
                                    rewriter.getIndexAttr(trits.getRows())};
    Type accType = op.getType().getElementType();
    Value acc = filled(rewriter, loc, tensor::EmptyOp::create(rewriter, loc, sizes, accType),
                       arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(accType)));
    AffineExpr t = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps{AffineMap::get(3, 0, {t, k}, ctx), weightByteMap(trits, ctx),
                                AffineMap::get(3, 0, {t, n}, ctx)};
    auto accumulate = linalg::GenericOp::create(
        rewriter, loc, acc.getType(), ValueRange{q, w}, ValueRange{acc}, maps,
        ArrayRef<IteratorType>{kPar, kPar, kRed}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value trit = decodeTrit(b, loc, args[1], linalg::IndexOp::create(b, loc, 2), packing);
          linalg::YieldOp::create(b, loc, accumulateTrit(b, loc, args[2], args[0], trit));
        });
    // Marks the op for backends that call a microkernel instead (backends/cpu/KernelCalls.cpp).
    accumulate->setAttr(kTernaryAccumulateAttr, PackingAttr::get(ctx, packing));
    Value sums = accumulate.getResult(0);
    if (TypedAttr scale = op.getScaleAttr()) {
      // One multiplication per output, after the sum.
      Value s = arith::ConstantOp::create(rewriter, loc, scale);
      Value out = tensor::EmptyOp::create(rewriter, loc, sizes, accType);
      sums = linalg::GenericOp::create(
                 rewriter, loc, sums.getType(), ValueRange{sums}, ValueRange{out},
                 ArrayRef<AffineMap>{identity(ctx, 2), identity(ctx, 2)}, parallels(2),
                 [&](OpBuilder &b, Location loc, ValueRange args) {
                   Value scaled = isa<FloatType>(accType)
                                      ? arith::MulFOp::create(b, loc, args[0], s).getResult()
                                      : arith::MulIOp::create(b, loc, args[0], s).getResult();
                   linalg::YieldOp::create(b, loc, scaled);
                 })
                 .getResult(0);
    }
    rewriter.replaceOp(op, sums);
    return success();
  }
};

struct LowerDequantize : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value acc = adaptor.getInput();
    Value out = emptyLike(rewriter, loc, acc, {0, 1}, rewriter.getF32Type());
    Value ws = f32Const(rewriter, loc, op.getWeightScale().convertToFloat());
    MLIRContext *ctx = getContext();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, out.getType(), ValueRange{acc, adaptor.getScale()}, ValueRange{out},
        ArrayRef<AffineMap>{identity(ctx, 2), dropLast(ctx, 2), identity(ctx, 2)}, parallels(2),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = arith::SIToFPOp::create(b, loc, b.getF32Type(), args[0]);
          Value s = arith::MulFOp::create(b, loc, args[1], ws);
          linalg::YieldOp::create(b, loc, ValueRange{arith::DivFOp::create(b, loc, v, s)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerTernaryConstant : OpConversionPattern<TernaryConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TernaryConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getValue());
    return success();
  }
};

struct ConvertTernToLinalgPass : mlir::tern::impl::ConvertTernToLinalgBase<ConvertTernToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter types;
    types.addConversion([](Type t) { return t; });
    types.addConversion([](TritsType t) -> Type { return t.getStorageType(); });

    ConversionTarget target(*ctx);
    target.addIllegalDialect<TernDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    patterns.add<LowerRMSNorm, LowerSwishGateNorm, LowerEmbedding, LowerForgetGate, LowerMLGRU,
                 LowerMLGRUStep, LowerGLU, LowerQuantize, LowerTernaryAccumulate, LowerDequantize,
                 LowerTernaryConstant>(types, ctx);

    // Give the two ops that cannot be lowered here a message that says why.
    getOperation().walk([&](Operation *op) {
      if (isa<BitLinearOp>(op))
        op->emitError("tern.bitlinear must be eliminated before lowering (run "
                      "tern-ternarize and tern-eliminate-matmul)");
      else if (isa<LowerBoundsOp>(op))
        op->emitError("tern.lower_bounds must fold to a constant before lowering (its "
                      "input must be a constant; run canonicalize)");
    });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
