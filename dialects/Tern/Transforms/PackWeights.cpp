//===- PackWeights.cpp - trits into a byte layout -------------------------===//
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "dialects/Tern/IR/WeightData.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNPACKWEIGHTS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct PackWeightsPass : mlir::tern::impl::TernPackWeightsBase<PackWeightsPass> {
  using TernPackWeightsBase::TernPackWeightsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (symbolizePacking(packing))
      return success();
    return emitError(UnknownLoc::get(ctx))
           << "tern-pack-weights: unknown packing '" << packing
           << "' (expected none, two_bit, base3, two_bit_tiled or base3_tiled)";
  }

  void runOnOperation() override {
    std::optional<Packing> target = symbolizePacking(packing);
    DenseMap<Attribute, ElementsAttr> packedOf; // functions sharing a weight share its blob
    WalkResult result = getOperation().walk([&](TernaryConstantOp op) -> WalkResult {
      auto from = cast<TritsType>(op.getType());
      if (from.getPacking() == *target)
        return WalkResult::advance();
      auto to = TritsType::get(op.getContext(), from.getRows(), from.getCols(), *target);
      if (ElementsAttr packed = packedOf.lookup(op.getValue())) {
        op.setValueAttr(packed);
        op.getResult().setType(to);
        return WalkResult::advance();
      }
      std::optional<ArrayRef<char>> raw = getRawElementBytes(op.getValue());
      if (!raw) {
        op.emitOpError("cannot read the trits (expected a non-splat dense or dense_resource "
                       "value)");
        return WalkResult::interrupt();
      }
      std::string name = "trits";
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(op.getValue()))
        name = resource.getRawHandle().getKey().str();
      ElementsAttr packed =
          makeElementsAttr(to.getStorageType(), name, [&](MutableArrayRef<char> out) {
            std::vector<int8_t> trits(from.getRows() * from.getCols());
            unpackTrits(reinterpret_cast<const uint8_t *>(raw->data()), from.getRows(),
                        from.getCols(), from.getPacking(), trits.data());
            packTrits(trits.data(), from.getRows(), from.getCols(), *target,
                      reinterpret_cast<uint8_t *>(out.data()));
          });
      packedOf[op.getValue()] = packed;
      op.setValueAttr(packed);
      op.getResult().setType(to);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    releaseUnusedBlobs(packedOf);
  }

  /// Frees the bytes of the old layouts that nothing uses any more: a released
  /// model's trits in `none` are a byte per weight (2.6 GB for 2.7B), which
  /// would otherwise stay in the context until ternc exits.
  void releaseUnusedBlobs(const DenseMap<Attribute, ElementsAttr> &packedOf) {
    llvm::SmallPtrSet<Attribute, 16> replaced;
    for (auto [old, packed] : packedOf)
      if (isa<DenseResourceElementsAttr>(old))
        replaced.insert(old);
    if (replaced.empty())
      return;
    getOperation()->walk([&](Operation *op) {
      auto forget = [&](Attribute attr) {
        if (attr)
          attr.walk([&](DenseResourceElementsAttr used) { replaced.erase(used); });
      };
      forget(op->getAttrDictionary());
      forget(op->getPropertiesAsAttribute());
    });
    for (Attribute old : replaced)
      if (auto *entry = cast<DenseResourceElementsAttr>(old).getRawHandle().getResource())
        entry->setBlob(AsmResourceBlob());
  }
};

} // namespace
