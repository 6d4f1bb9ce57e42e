//===- Ternarize.cpp - absmean ternarisation of BitLinear weights ---------===//
#include "dialects/Tern/Transforms/Passes.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARIZE
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// A name for the trits blob derived from the latent weight's, when it has one.
std::string tritsBlobName(ElementsAttr latent) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(latent))
    return (resource.getRawHandle().getKey() + ".trits").str();
  return "trits";
}

struct Ternarized {
  ElementsAttr trits;
  FloatAttr scale;
};

/// Ternarises one latent weight as docs/model-spec says: the mean of |W| in
/// f64, s_w rounded to f32, each product W * s_w in f32 rounded half to even.
FailureOr<Ternarized> ternarize(Builder &builder, ElementsAttr latent) {
  std::vector<float> w;
  if (failed(readAsFloat32(latent, w)))
    return failure();
  double sumAbs = 0;
  for (float v : w)
    sumAbs += std::fabs(double(v));
  double mean = w.empty() ? 0.0 : sumAbs / double(w.size());
  float scale = float(1.0 / std::max(mean, 1e-5));

  auto shape = latent.getShapedType().getShape();
  auto type = TritsType::get(builder.getContext(), shape[0], shape[1], Packing::none);
  ElementsAttr trits = makeElementsAttr(
      type.getStorageType(), tritsBlobName(latent), [&](MutableArrayRef<char> out) {
        for (size_t i = 0; i < w.size(); ++i) {
          float product = w[i] * scale;
          float rounded = std::nearbyint(product); // default rounding: half to even
          out[i] = char(std::clamp(rounded, -1.0f, 1.0f));
        }
      });
  return Ternarized{trits, builder.getF32FloatAttr(scale)};
}

struct TernarizePass : mlir::tern::impl::TernTernarizeBase<TernarizePass> {
  void runOnOperation() override {
    // Keyed by the latent attribute, so that every function using a weight
    // shares one blob of trits.
    DenseMap<Attribute, Ternarized> done;
    DenseMap<Operation *, Value> tritsOf; // one tern.ternary_constant per latent constant
    WalkResult result = getOperation().walk([&](BitLinearOp op) -> WalkResult {
      if (isa<TritsType>(op.getWeight().getType()))
        return WalkResult::advance();
      auto constant = op.getWeight().getDefiningOp<arith::ConstantOp>();
      if (!constant) {
        op.emitRemark("weight is not a constant; left for run-time ternarisation");
        return WalkResult::advance();
      }
      if (Value trits = tritsOf.lookup(constant)) {
        op.getWeightMutable().assign(trits);
        return WalkResult::advance();
      }
      auto latent = cast<ElementsAttr>(constant.getValue());
      auto it = done.find(latent);
      if (it == done.end()) {
        Builder builder(&getContext());
        FailureOr<Ternarized> made = ternarize(builder, latent);
        if (failed(made)) {
          op.emitOpError("cannot read the latent weight's values (expected a bf16, f16 or "
                         "f32 dense or dense_resource constant)");
          return WalkResult::interrupt();
        }
        it = done.try_emplace(latent, *made).first;
      }
      auto shape = latent.getShapedType().getShape();
      OpBuilder builder(constant);
      Value trits = TernaryConstantOp::create(
          builder, constant.getLoc(),
          TritsType::get(&getContext(), shape[0], shape[1], Packing::none), it->second.trits,
          it->second.scale);
      tritsOf[constant] = trits;
      op.getWeightMutable().assign(trits);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    // Latent weights nobody uses any more are dropped (their blobs with them).
    getOperation().walk([](arith::ConstantOp op) {
      if (op->use_empty() && isa<DenseResourceElementsAttr>(op.getValue()))
        op->erase();
    });
  }
};

} // namespace
