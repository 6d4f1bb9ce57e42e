//===- HLSExtractLayer.cpp - one BitLinear as its own top ----------------===//
//
// `ternc --target=hls --hls-top=layer` synthesises one BitLinear alone, to
// try directives on one projection without the whole model around it.
//
#include "backends/hls/Passes.h"
#include "backends/hls/StageKinds.h"
#include "compiler/Import/HGRNImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSEXTRACTLAYER
#include "backends/hls/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The four ops of one eliminated BitLinear, found from its accumulate.
struct BitLinearChain {
  RMSNormOp norm;
  QuantizeOp quantize;
  TernaryAccumulateOp accumulate;
  DequantizeOp dequantize;
};

FailureOr<BitLinearChain> chainOf(TernaryAccumulateOp accumulate) {
  BitLinearChain chain;
  chain.accumulate = accumulate;
  chain.quantize = accumulate.getInput().getDefiningOp<QuantizeOp>();
  if (!chain.quantize)
    return accumulate.emitError("tern-hls-extract-layer: the accumulate's input is not a "
                                "tern.quantize result");
  chain.norm = chain.quantize.getInput().getDefiningOp<RMSNormOp>();
  if (!chain.norm || !chain.norm.getWeight().getDefiningOp<arith::ConstantOp>())
    return chain.quantize.emitError("tern-hls-extract-layer: the quantize's input is not a "
                                    "tern.rms_norm with a constant weight");
  for (Operation *user : accumulate->getUsers())
    if (auto dequantize = dyn_cast<DequantizeOp>(user))
      chain.dequantize = dequantize;
  if (!chain.dequantize || !chain.accumulate->hasOneUse() ||
      chain.dequantize.getScale() != chain.quantize.getScale())
    return accumulate.emitError("tern-hls-extract-layer: the accumulate's only user must be "
                                "the tern.dequantize of the same quantize's scale");
  if (!accumulate.getWeight().getDefiningOp<TernaryConstantOp>())
    return accumulate.emitError("tern-hls-extract-layer: the weight is not a "
                                "tern.ternary_constant");
  return chain;
}

struct HLSExtractLayerPass : mlir::tern::impl::TernHLSExtractLayerBase<HLSExtractLayerPass> {
  using TernHLSExtractLayerBase::TernHLSExtractLayerBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto prefill = module.lookupSymbol<func::FuncOp>(::tern::kPrefillFunction);
    if (!prefill) {
      module.emitError("tern-hls-extract-layer: no @") << ::tern::kPrefillFunction;
      return signalPassFailure();
    }
    TernaryAccumulateOp chosen;
    std::string names;
    prefill.walk([&](TernaryAccumulateOp accumulate) {
      std::optional<std::string> name = ::tern::hls::constantName(accumulate.getWeight());
      if (name)
        names += (names.empty() ? "" : ", ") + *name;
      if (!chosen && (layer.empty() || (name && *name == layer)))
        chosen = accumulate;
    });
    if (!chosen) {
      module.emitError("tern-hls-extract-layer: no BitLinear with weight '")
          << layer << "' (weights: " << (names.empty() ? "none" : names) << ")";
      return signalPassFailure();
    }
    FailureOr<BitLinearChain> chain = chainOf(chosen);
    if (failed(chain))
      return signalPassFailure();

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = chosen.getLoc();
    Type input = chain->norm.getInput().getType(), output = chain->dequantize.getType();
    auto layerFn = func::FuncOp::create(b, loc, "tern_layer", b.getFunctionType(input, output));
    b.setInsertionPointToStart(layerFn.addEntryBlock());
    IRMapping map;
    map.map(chain->norm.getInput(), layerFn.getArgument(0));
    for (Value constant : SmallVector<Value>{chain->norm.getWeight(), chosen.getWeight()})
      b.clone(*constant.getDefiningOp(), map);
    for (Operation *op : {chain->norm.getOperation(), chain->quantize.getOperation(),
                          chosen.getOperation(), chain->dequantize.getOperation()})
      b.clone(*op, map);
    func::ReturnOp::create(b, loc, map.lookup(chain->dequantize.getResult()));

    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (fn != layerFn)
        fn.erase();
  }
};

} // namespace
