//===- PackWeights.cpp - trits into a byte layout -------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "dialects/Tern/Transforms/WeightData.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNPACKWEIGHTS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct PackWeightsPass : mlir::tern::impl::TernPackWeightsBase<PackWeightsPass> {
  using TernPackWeightsBase::TernPackWeightsBase;

  void runOnOperation() override {
    std::optional<Packing> target = symbolizePacking(packing);
    if (!target) {
      getOperation().emitError() << "tern-pack-weights: unknown packing '" << packing
                                 << "' (expected none, two_bit or base3)";
      return signalPassFailure();
    }
    WalkResult result = getOperation().walk([&](TernaryConstantOp op) -> WalkResult {
      auto from = cast<TritsType>(op.getType());
      if (from.getPacking() == *target)
        return WalkResult::advance();
      std::optional<ArrayRef<char>> raw = getRawElementBytes(op.getValue());
      if (!raw) {
        op.emitOpError("cannot read the trits (expected a non-splat dense or dense_resource "
                       "value)");
        return WalkResult::interrupt();
      }
      auto to = TritsType::get(op.getContext(), from.getRows(), from.getCols(), *target);
      std::string name = "trits";
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(op.getValue()))
        name = resource.getRawHandle().getKey().str();
      ElementsAttr packed =
          makeElementsAttr(to.getStorageType(), name, [&](MutableArrayRef<char> out) {
            std::vector<int8_t> row(from.getCols());
            for (int64_t n = 0; n < from.getRows(); ++n) {
              unpackTritRow(reinterpret_cast<const uint8_t *>(raw->data()) +
                                n * from.getRowBytes(),
                            from.getCols(), from.getPacking(), row.data());
              packTritRow(row.data(), from.getCols(), *target,
                          reinterpret_cast<uint8_t *>(out.data()) + n * to.getRowBytes());
            }
          });
      op.setValueAttr(packed);
      op.getResult().setType(to);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
