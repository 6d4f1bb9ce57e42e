//===- ExpandMath.cpp - kernel math without libdevice ---------------------===//
//
// convert-gpu-to-nvvm lowers math ops (and the LLVM intrinsics of most of
// them) to libdevice calls, which only the CUDA toolkit's libdevice.10.bc
// defines. Kernels here must not need it: the artifact's PTX is loaded by the
// driver alone. So the math ops become, before that pass runs: polynomials
// (exp, log, tanh, ...), integer bit operations (absf, copysign), truncation
// arithmetic (round, floor, ceil) or intrinsics NVPTX selects itself (fma,
// trunc, and sqrt as llvm.nvvm.sqrt.rn.f: IEEE, like the CPU's).
//
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUEXPANDMATH
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Math functions NVPTX has no instruction for, which MLIR approximates with polynomials.
bool approximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"exp", "exp2", "expm1", "log", "log2", "log1p", "tanh", "erf", "erfc",
                             "atan", "atan2", "sin", "cos", "cbrt", "asin", "acos"},
                            name);
}

Value f32Constant(PatternRewriter &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value i32Constant(PatternRewriter &b, Location loc, uint32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(v)));
}
Value bits(PatternRewriter &b, Location loc, Value f) {
  return arith::BitcastOp::create(b, loc, b.getI32Type(), f);
}
Value fromBits(PatternRewriter &b, Location loc, Value i) {
  return arith::BitcastOp::create(b, loc, b.getF32Type(), i);
}
/// |x|: the sign bit cleared.
Value absOf(PatternRewriter &b, Location loc, Value x) {
  return fromBits(b, loc, arith::AndIOp::create(b, loc, bits(b, loc, x), i32Constant(b, loc, 0x7fffffff)));
}
/// |magnitude| with the sign of `sign`.
Value copySign(PatternRewriter &b, Location loc, Value magnitude, Value sign) {
  Value m = arith::AndIOp::create(b, loc, bits(b, loc, magnitude), i32Constant(b, loc, 0x7fffffff));
  Value s = arith::AndIOp::create(b, loc, bits(b, loc, sign), i32Constant(b, loc, 0x80000000u));
  return fromBits(b, loc, arith::OrIOp::create(b, loc, m, s));
}
Value truncOf(PatternRewriter &b, Location loc, Value x) {
  return LLVM::FTruncOp::create(b, loc, x.getType(), x);
}

template <typename Op>
struct F32Pattern : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    if (!op.getType().isF32())
      return b.notifyMatchFailure(op, "only f32 is expanded");
    b.replaceOp(op, expand(op, b));
    return success();
  }
  virtual Value expand(Op op, PatternRewriter &b) const = 0;
};

struct AbsF : F32Pattern<math::AbsFOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::AbsFOp op, PatternRewriter &b) const override {
    return absOf(b, op.getLoc(), op.getOperand());
  }
};

struct CopySign : F32Pattern<math::CopySignOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::CopySignOp op, PatternRewriter &b) const override {
    return copySign(b, op.getLoc(), op.getLhs(), op.getRhs());
  }
};

struct Trunc : F32Pattern<math::TruncOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::TruncOp op, PatternRewriter &b) const override {
    return truncOf(b, op.getLoc(), op.getOperand());
  }
};

/// Half away from zero: t = trunc(x); t + sign(x) when |x - t| >= 0.5 (x - t is exact).
struct Round : F32Pattern<math::RoundOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::RoundOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getOperand(), t = truncOf(b, loc, x);
    Value fraction = absOf(b, loc, arith::SubFOp::create(b, loc, x, t));
    Value up = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, fraction,
                                     f32Constant(b, loc, 0.5f));
    Value away = arith::AddFOp::create(b, loc, t, copySign(b, loc, f32Constant(b, loc, 1.0f), x));
    return arith::SelectOp::create(b, loc, up, away, t);
  }
};

/// floor: trunc(x) - 1 when x < trunc(x); ceil: trunc(x) + 1 when x > trunc(x).
template <typename Op, arith::CmpFPredicate Below, int Step>
struct Floorish : F32Pattern<Op> {
  using F32Pattern<Op>::F32Pattern;
  Value expand(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getOperand(), t = truncOf(b, loc, x);
    Value moves = arith::CmpFOp::create(b, loc, Below, x, t);
    Value stepped = arith::AddFOp::create(b, loc, t, f32Constant(b, loc, float(Step)));
    return arith::SelectOp::create(b, loc, moves, stepped, t);
  }
};

struct Fma : F32Pattern<math::FmaOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::FmaOp op, PatternRewriter &b) const override {
    return LLVM::FMAOp::create(b, op.getLoc(), op.getA(), op.getB(), op.getC());
  }
};

struct Sqrt : F32Pattern<math::SqrtOp> {
  using F32Pattern::F32Pattern;
  Value expand(math::SqrtOp op, PatternRewriter &b) const override {
    return LLVM::CallIntrinsicOp::create(b, op.getLoc(), b.getF32Type(),
                                         b.getStringAttr("llvm.nvvm.sqrt.rn.f"),
                                         ValueRange{op.getOperand()})
        .getResult(0);
  }
};

struct ExpandMathPass : mlir::tern::impl::TernGPUExpandMathBase<ExpandMathPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      populateMathPolynomialApproximationPatterns(patterns, approximated);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    patterns.add<AbsF, CopySign, Trunc, Round, Floorish<math::FloorOp, arith::CmpFPredicate::OLT, -1>,
                 Floorish<math::CeilOp, arith::CmpFPredicate::OGT, 1>, Fma, Sqrt>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult leftover = getOperation().walk([&](Operation *op) {
      if (op->getDialect() && isa<math::MathDialect>(op->getDialect())) {
        op->emitError("tern-gpu-expand-math: ")
            << op->getName() << " (on " << op->getResultTypes() << ") has no lowering for NVIDIA "
            << "GPUs that avoids libdevice";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
