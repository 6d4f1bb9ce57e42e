//===- PruneWeights.cpp - example-prune-weights ---------------------------===//
#include "Passes.h"

#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace example {
#define GEN_PASS_DEF_EXAMPLEPRUNEWEIGHTS
#include "Passes.h.inc"
} // namespace example

using namespace mlir;

namespace {

/// Whether a linalg op that reduces (a matmul, named or generic) reads `value`
/// as an input (not as the init it accumulates into).
bool feedsContraction(Value value) {
  return llvm::any_of(value.getUses(), [](OpOperand &use) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(use.getOwner());
    return linalgOp && linalgOp.getNumReductionLoops() > 0 && linalgOp.isDpsInput(&use);
  });
}

struct PruneWeightsPass : example::impl::ExamplePruneWeightsBase<PruneWeightsPass> {
  using ExamplePruneWeightsBase::ExamplePruneWeightsBase;

  void runOnOperation() override {
    getOperation().walk([&](arith::ConstantOp constant) {
      auto values = dyn_cast<ElementsAttr>(constant.getValue());
      if (!values || !values.getElementType().isF32() || !feedsContraction(constant))
        return;
      // tern's helpers read dense and dense_resource constants alike.
      std::vector<float> w;
      if (failed(tern::readAsFloat32(values, w)))
        return;
      float largest = 0;
      for (float v : w)
        largest = std::max(largest, std::fabs(v));
      float cut = float(threshold) * largest;
      int64_t zeroed = 0;
      for (float &v : w)
        if (v != 0 && std::fabs(v) < cut) {
          v = 0;
          ++zeroed;
        }
      if (zeroed == 0)
        return;
      constant->emitRemark() << "example-prune-weights: zeroed " << zeroed << " of " << w.size()
                             << " entries below " << cut;
      ElementsAttr pruned = tern::makeElementsAttr(
          values.getShapedType(), "pruned", [&](MutableArrayRef<char> out) {
            std::memcpy(out.data(), w.data(), w.size() * sizeof(float));
          });
      constant.setValueAttr(cast<TypedAttr>(pruned));
    });
  }
};

} // namespace
