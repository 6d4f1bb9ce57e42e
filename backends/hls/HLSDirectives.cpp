//===- HLSDirectives.cpp - pipeline, unroll, partition, binding ----------===//
//
// The ternary accumulate is where the work is: `lanes` trits are added per
// clock, which takes lanes/tritsPerByte packed bytes of the trit ROM and as
// many int8 activations per clock, so both arrays are split cyclically into
// that many banks. Everything else streams one element per clock.
//
#include "backends/hls/HLSAttrs.h"
#include "backends/hls/Passes.h"
#include "backends/hls/StageKinds.h"
#include "dialects/Tern/IR/Packing.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSDIRECTIVES
#include "backends/hls/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
namespace hls = ::tern::hls;

namespace {

DictionaryAttr dict(Builder &b, ArrayRef<std::pair<StringRef, Attribute>> entries) {
  SmallVector<NamedAttribute> named;
  for (auto [key, value] : entries)
    named.push_back(b.getNamedAttr(key, value));
  return b.getDictionaryAttr(named);
}

/// Bits of a signed accumulator that holds any sum of K int8 values of
/// magnitude <= 128 exactly (at most 32: the int32 of the model's contract).
int64_t accumulatorBits(int64_t k) {
  uint64_t bound = uint64_t(128) * uint64_t(std::max<int64_t>(k, 1));
  return std::min<int64_t>(32, llvm::Log2_64_Ceil(bound + 1) + 1);
}

struct HLSDirectivesPass : mlir::tern::impl::TernHLSDirectivesBase<HLSDirectivesPass> {
  using TernHLSDirectivesBase::TernHLSDirectivesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (lanes < 1 || floatAddLatency < 1) {
      module.emitError("tern-hls-directives: lanes and float-add-latency must be >= 1");
      return signalPassFailure();
    }
    Builder b(module.getContext());
    auto ii = [&](int64_t value) { return dict(b, {{hls::kPipelineII, b.getI64IntegerAttr(value)}}); };

    bool sawStage = false;
    module.walk([&](Operation *op) {
      auto stage = op->getAttrOfType<StringAttr>(hls::kStageAttr);
      if (!stage)
        return;
      sawStage = true;
      hls::StageKind kind = *hls::stageKindOf(op);
      SmallVector<NamedAttribute> loops;
      for (StringRef loop : hls::stageLoops(kind)) {
        DictionaryAttr directives = ii(hls::isFloatAddReduction(kind, loop) ? floatAddLatency : 1);
        if (kind == hls::StageKind::Accumulate && loop == "lanes")
          directives = dict(b, {{hls::kUnroll, b.getI64IntegerAttr(0)}});
        loops.push_back(b.getNamedAttr(loop, directives));
      }
      op->setAttr(hls::kLoopsAttr, b.getDictionaryAttr(loops));

      if (kind == hls::StageKind::Embedding) {
        op->setAttr(hls::kBindStorageAttr,
                    b.getArrayAttr({dict(b, {{"variable", b.getStringAttr(hls::var::kTable)},
                                             {"type", b.getStringAttr("rom_1p")},
                                             {"impl", b.getStringAttr("bram")}})}));
      }
      if (auto accumulate = dyn_cast<TernaryAccumulateOp>(op)) {
        auto trits = cast<TritsType>(accumulate.getWeight().getType());
        int64_t perByte = tritsPerByte(trits.getPacking());
        int64_t rowBytes = packedRowBytes(trits.getCols(), trits.getPacking());
        int64_t bytesPerCycle = std::clamp<int64_t>(lanes / perByte, 1, rowBytes);
        op->setAttr(hls::kBytesPerCycleAttr, b.getI64IntegerAttr(bytesPerCycle));
        op->setAttr(hls::kAccBitsAttr, b.getI64IntegerAttr(accumulatorBits(trits.getCols())));
        SmallVector<Attribute> partitions;
        auto cyclic = [&](StringRef variable, int64_t dim) {
          return dict(b, {{"variable", b.getStringAttr(variable)},
                          {"type", b.getStringAttr("cyclic")},
                          {"factor", b.getI64IntegerAttr(bytesPerCycle)},
                          {"dim", b.getI64IntegerAttr(dim)}});
        };
        if (bytesPerCycle > 1) {
          partitions.push_back(cyclic(hls::var::kTrits, 2));
          partitions.push_back(cyclic(hls::var::kQ, 1));
        }
        if (perByte > 1)
          partitions.push_back(dict(b, {{"variable", b.getStringAttr(hls::var::kQ)},
                                        {"type", b.getStringAttr("complete")},
                                        {"dim", b.getI64IntegerAttr(2)}}));
        op->setAttr(hls::kArrayPartitionAttr, b.getArrayAttr(partitions));
        op->setAttr(hls::kBindStorageAttr,
                    b.getArrayAttr({dict(b, {{"variable", b.getStringAttr(hls::var::kTrits)},
                                             {"type", b.getStringAttr("rom_1p")},
                                             {"impl", b.getStringAttr("bram")}})}));
        auto fabricAdder = [&](StringRef variable) {
          return dict(b, {{"variable", b.getStringAttr(variable)},
                          {"op", b.getStringAttr("add")},
                          {"impl", b.getStringAttr("fabric")}});
        };
        op->setAttr(hls::kBindOpAttr, b.getArrayAttr({fabricAdder(hls::var::kPartial),
                                                       fabricAdder(hls::var::kAcc)}));
      }
    });
    if (!sawStage) {
      module.emitError("tern-hls-directives: no op has ")
          << hls::kStageAttr << " (run tern-hls-dataflow first)";
      return signalPassFailure();
    }

    for (auto fn : module.getOps<func::FuncOp>()) {
      auto top = fn->getAttrOfType<StringAttr>(hls::kTopAttr);
      if (!top || top.getValue() != hls::kTopModel)
        continue;
      fn->setAttr(hls::kLoopsAttr,
                  b.getDictionaryAttr({b.getNamedAttr(hls::loop::kLoadState, ii(1)),
                                       b.getNamedAttr(hls::loop::kStoreState, ii(1)),
                                       b.getNamedAttr(hls::loop::kWriteLogits, ii(1))}));
    }
  }
};

} // namespace
