//===- EliminateMatmul.cpp - BitLinear to add/subtract-only form ----------===//
//
// The pass tern-eliminate-matmul: BitLinears here, linalg contractions in
// EliminateLinalgMatmul.cpp.
//
#include "dialects/Tern/Transforms/EliminateLinalgMatmul.h"
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNELIMINATEMATMUL
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// bitlinear(x, trits, g) -> dequantize(accumulate(quantize(rms_norm(x, g)), trits)).
struct BitLinearToAccumulate : OpRewritePattern<BitLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BitLinearOp op, PatternRewriter &rewriter) const override {
    auto weight = op.getWeight().getDefiningOp<TernaryConstantOp>();
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weight is not a tern.ternary_constant");
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();

    Value normed = RMSNormOp::create(rewriter, loc, inputType, op.getInput(), op.getNormWeight(),
                                     op.getEpsilonAttr());
    auto quantized = QuantizeOp::create(
        rewriter, loc, inputType.clone(i8),
        RankedTensorType::get({inputType.getDimSize(0)}, rewriter.getF32Type()), normed);
    Value acc = TernaryAccumulateOp::create(rewriter, loc, resultType.clone(i32),
                                            quantized.getResult(), weight);
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, resultType, acc, quantized.getScale(),
                                              weight.getScaleAttr());
    return success();
  }
};

struct EliminateMatmulPass : mlir::tern::impl::TernEliminateMatmulBase<EliminateMatmulPass> {
  using TernEliminateMatmulBase::TernEliminateMatmulBase;

  void runOnOperation() override {
    getOperation().walk([](BitLinearOp op) {
      if (!isa<TritsType>(op.getWeight().getType()))
        op.emitRemark("BitLinear left as is: its weight is not ternary yet (run "
                      "tern-ternarize first)");
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<BitLinearToAccumulate>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    eliminateLinalgMatmuls(getOperation(), {quantizeActivations, ternarizeFloatWeights});
  }
};

} // namespace
