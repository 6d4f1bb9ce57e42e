//===- HLSInterfaces.cpp - the top function and its ports ----------------===//
//
// The model top is called once per prompt (or once per generated token) by a
// host: its arrays are AXI masters in separate bundles so they can sit in
// different memory banks, and the scalars and block control are AXI-lite
// registers. A single layer is a stream filter: AXI streams in and out.
//
#include "backends/hls/HLSAttrs.h"
#include "backends/hls/Passes.h"
#include "compiler/Import/HGRNImporter.h"

#include "mlir/IR/Builders.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSINTERFACES
#include "backends/hls/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
namespace hls = ::tern::hls;

namespace {

/// One `#pragma HLS INTERFACE mode=... port=... key=value...`.
DictionaryAttr port(Builder &b, StringRef mode, StringRef name,
                    ArrayRef<std::pair<StringRef, Attribute>> extra = {}) {
  SmallVector<NamedAttribute> entries{b.getNamedAttr("mode", b.getStringAttr(mode)),
                                      b.getNamedAttr("port", b.getStringAttr(name))};
  for (auto [key, value] : extra)
    entries.push_back(b.getNamedAttr(key, value));
  return b.getDictionaryAttr(entries);
}

/// Rows of the last dimension of a ranked type ([..., N] -> N), or -1.
int64_t rowLength(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.getRank() == 0 || ranked.isDynamicDim(ranked.getRank() - 1))
    return -1;
  return ranked.getDimSize(ranked.getRank() - 1);
}

struct HLSInterfacesPass : mlir::tern::impl::TernHLSInterfacesBase<HLSInterfacesPass> {
  using TernHLSInterfacesBase::TernHLSInterfacesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    if (top != hls::kTopModel && top != hls::kTopLayer) {
      module.emitError("tern-hls-interfaces: top must be 'model' or 'layer', got '") << top << "'";
      return signalPassFailure();
    }
    bool isModel = top == hls::kTopModel;
    StringRef fnName = isModel ? StringRef(::tern::kPrefillFunction) : StringRef("tern_layer");
    auto fn = module.lookupSymbol<func::FuncOp>(fnName);
    if (!fn) {
      module.emitError("tern-hls-interfaces: top=") << top << " needs a function @" << fnName
          << (isModel ? "" : " (run tern-hls-extract-layer first)");
      return signalPassFailure();
    }
    if (maxTokens <= 0) {
      module.emitError("tern-hls-interfaces: max-tokens must be positive");
      return signalPassFailure();
    }

    SmallVector<Attribute> ports;
    auto control = std::pair<StringRef, Attribute>("bundle", b.getStringAttr("control"));
    if (isModel) {
      // (ids: tensor<?xi32>, state: tensor<LxH>) -> (logits: tensor<?xV>, state)
      bool twoByTwo = fn.getNumArguments() == 2 && fn.getNumResults() == 2;
      auto stateType =
          twoByTwo ? dyn_cast<RankedTensorType>(fn.getArgument(1).getType()) : RankedTensorType();
      int64_t vocab = twoByTwo ? rowLength(fn.getResultTypes()[0]) : -1;
      if (!stateType || stateType.getRank() != 2 || !stateType.hasStaticShape() || vocab < 0) {
        fn.emitError("tern-hls-interfaces: @") << fnName << " must be (ids, state[L, H]) -> "
                                               << "(logits[T, V], state[L, H])";
        return signalPassFailure();
      }
      auto master = [&](StringRef name, StringRef bundle, int64_t depth) {
        return port(b, "m_axi", name,
                    {{"bundle", b.getStringAttr(bundle)}, {"depth", b.getI64IntegerAttr(depth)},
                     {"offset", b.getStringAttr("slave")}});
      };
      ports = {master("ids", "gmem0", maxTokens),
               master("state", "gmem1", stateType.getNumElements()),
               master("logits", "gmem2", maxTokens * vocab),
               port(b, "s_axilite", "num_tokens", {control}),
               port(b, "s_axilite", "return", {control})};
      fn->setAttr(hls::kMaxTokensAttr, b.getI64IntegerAttr(maxTokens));
    } else {
      ports = {port(b, "axis", "x"), port(b, "axis", "y"),
               port(b, "s_axilite", "return", {control})};
    }
    fn->setAttr(hls::kTopAttr, b.getStringAttr(top));
    fn->setAttr(hls::kInterfaceAttr, b.getArrayAttr(ports));
  }
};

} // namespace
