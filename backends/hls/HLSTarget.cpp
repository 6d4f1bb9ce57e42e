//===- HLSTarget.cpp - the FPGA part and clock --------------------------===//
#include "backends/hls/HLSAttrs.h"
#include "backends/hls/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSTARGET
#include "backends/hls/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

struct HLSTargetPass : mlir::tern::impl::TernHLSTargetBase<HLSTargetPass> {
  using TernHLSTargetBase::TernHLSTargetBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (part.empty()) {
      module.emitError("tern-hls-target: the part name is empty");
      return signalPassFailure();
    }
    if (!(clockMHz > 0.0)) {
      module.emitError("tern-hls-target: clock-mhz must be positive, got ") << clockMHz;
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr(::tern::hls::kPartAttr, b.getStringAttr(part));
    module->setAttr(::tern::hls::kClockAttr, b.getF64FloatAttr(clockMHz));
  }
};

} // namespace
