//===- HLSDataflow.cpp - stages and streams of the top function ----------===//
#include "backends/hls/HLSAttrs.h"
#include "backends/hls/Passes.h"
#include "backends/hls/StageKinds.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSDATAFLOW
#include "backends/hls/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
namespace hls = ::tern::hls;

namespace {

/// Elements of one token's row of a [T, N] (or [T]) tensor.
int64_t rowElements(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.getRank() < 2)
    return 1;
  return ranked.getDimSize(ranked.getRank() - 1);
}

/// The BitLinear an op of an eliminated BitLinear belongs to: the name of the
/// accumulate's weight.
std::optional<std::string> bitLinearName(Operation *op) {
  if (auto accumulate = dyn_cast<TernaryAccumulateOp>(op))
    return hls::constantName(accumulate.getWeight());
  if (auto quantize = dyn_cast<QuantizeOp>(op))
    for (Operation *user : quantize.getResult().getUsers())
      if (isa<TernaryAccumulateOp>(user))
        return bitLinearName(user);
  if (auto dequantize = dyn_cast<DequantizeOp>(op))
    if (Operation *producer = dequantize.getInput().getDefiningOp())
      return bitLinearName(producer);
  return std::nullopt;
}

/// What a stage is named after: its own weight, or (for weightless ops) its
/// kind in the current layer.
std::optional<std::string> ownName(Operation *op, hls::StageKind kind) {
  switch (kind) {
  case hls::StageKind::Embedding:
    return hls::constantName(cast<EmbeddingOp>(op).getTable());
  case hls::StageKind::RMSNorm:
    if (std::optional<std::string> name = hls::constantName(cast<RMSNormOp>(op).getWeight()))
      return name;
    // A BitLinear's own norm (small models keep norm weights unnamed).
    if (op->hasOneUse())
      if (auto quantize = dyn_cast<QuantizeOp>(*op->getUsers().begin()))
        if (std::optional<std::string> name = bitLinearName(quantize))
          return *name + ".norm";
    return std::nullopt;
  case hls::StageKind::SwishGateNorm:
    return hls::constantName(cast<SwishGateNormOp>(op).getWeight());
  case hls::StageKind::Quantize:
  case hls::StageKind::Accumulate:
  case hls::StageKind::Dequantize:
    if (std::optional<std::string> name = bitLinearName(op))
      return *name + "." + hls::stageKindName(kind).str();
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

struct HLSDataflowPass : mlir::tern::impl::TernHLSDataflowBase<HLSDataflowPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp top;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(hls::kTopAttr))
        top = fn;
    if (!top) {
      module.emitError("tern-hls-dataflow: no function has ")
          << hls::kTopAttr << " (run tern-hls-interfaces first)";
      return signalPassFailure();
    }
    if (!top.getBody().hasOneBlock()) {
      top.emitError("tern-hls-dataflow: the top function must be one block");
      return signalPassFailure();
    }
    Builder b(module.getContext());
    llvm::StringSet<> taken;
    llvm::Regex layerPrefix("^(layers_[0-9]+)_");
    std::string layer = "model"; // prefix of weightless stages: the layer last seen
    for (Operation &op : top.getBody().front()) {
      std::optional<hls::StageKind> kind = hls::stageKindOf(&op);
      if (!kind) {
        if (isa<func::ReturnOp, TernaryConstantOp, arith::ConstantOp, tensor::EmptyOp,
                tensor::ExtractSliceOp, tensor::InsertSliceOp>(op))
          continue;
        op.emitError("tern-hls-dataflow: no HLS stage implements '")
            << op.getName() << "' (the HLS backend takes IR after the pack stage)";
        return signalPassFailure();
      }
      for (Type type : op.getResultTypes()) {
        auto ranked = dyn_cast<RankedTensorType>(type);
        if (!ranked || ranked.getRank() < 1 || ranked.getRank() > 2 ||
            (ranked.getRank() == 2 && ranked.isDynamicDim(1))) {
          op.emitError("tern-hls-dataflow: stage results must be [T] or [T, N] with static N, "
                       "got ")
              << type;
          return signalPassFailure();
        }
      }

      std::string name;
      if (std::optional<std::string> own = ownName(&op, *kind)) {
        name = hls::cIdentifier(StringRef(*own).starts_with("model.") ? own->substr(6) : *own);
        SmallVector<StringRef> groups;
        if (layerPrefix.match(name, &groups))
          layer = groups[1].str();
      } else {
        name = layer + "_" + hls::stageKindName(*kind).str();
      }
      std::string unique = name;
      for (int n = 1; taken.contains(unique); ++n)
        unique = name + "_" + std::to_string(n);
      taken.insert(unique);
      op.setAttr(hls::kStageAttr, b.getStringAttr(unique));

      SmallVector<int64_t> depths;
      for (OpResult result : op.getResults()) {
        bool isState = isa<MLGRUOp>(op) && result.getResultNumber() == 1;
        int64_t readers = std::distance(result.use_begin(), result.use_end());
        depths.push_back(isState ? 0 : readers > 1 ? rowElements(result.getType()) : 2);
      }
      op.setAttr(hls::kStreamDepthAttr, b.getDenseI64ArrayAttr(depths));
    }
    top->setAttr(hls::kDataflowAttr, b.getUnitAttr());
  }
};

} // namespace
