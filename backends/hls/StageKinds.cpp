//===- StageKinds.cpp - the ops that become HLS stage functions -----------===//
#include "backends/hls/StageKinds.h"

#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace tern::hls {

std::optional<StageKind> stageKindOf(Operation *op) {
  using namespace mlir::tern;
  if (isa<EmbeddingOp>(op))
    return StageKind::Embedding;
  if (isa<RMSNormOp>(op))
    return StageKind::RMSNorm;
  if (isa<QuantizeOp>(op))
    return StageKind::Quantize;
  if (isa<TernaryAccumulateOp>(op))
    return StageKind::Accumulate;
  if (isa<DequantizeOp>(op))
    return StageKind::Dequantize;
  if (isa<ForgetGateOp>(op))
    return StageKind::ForgetGate;
  if (isa<MLGRUOp>(op))
    return StageKind::MLGRU;
  if (isa<SwishGateNormOp>(op))
    return StageKind::SwishGateNorm;
  if (isa<GLUOp>(op))
    return StageKind::GLU;
  if (auto add = dyn_cast<arith::AddFOp>(op); add && isa<RankedTensorType>(add.getType()))
    return StageKind::Add;
  return std::nullopt;
}

StringRef stageKindName(StageKind kind) {
  switch (kind) {
  case StageKind::Embedding: return "embedding";
  case StageKind::RMSNorm: return "rms_norm";
  case StageKind::Quantize: return "quantize";
  case StageKind::Accumulate: return "accumulate";
  case StageKind::Dequantize: return "dequantize";
  case StageKind::ForgetGate: return "forget_gate";
  case StageKind::MLGRU: return "mlgru";
  case StageKind::SwishGateNorm: return "swish_gate_norm";
  case StageKind::GLU: return "glu";
  case StageKind::Add: return "add";
  }
  llvm_unreachable("unknown stage kind");
}

ArrayRef<StringLiteral> stageLoops(StageKind kind) {
  static constexpr StringLiteral embedding[] = {"row"};
  static constexpr StringLiteral norm[] = {"sum_squares", "normalize"};
  static constexpr StringLiteral quantize[] = {"absmax", "quantize"};
  static constexpr StringLiteral accumulate[] = {"load", "accumulate", "lanes"};
  static constexpr StringLiteral dequantize[] = {"dequantize"};
  static constexpr StringLiteral gate[] = {"gate"};
  static constexpr StringLiteral recurrence[] = {"recurrence"};
  static constexpr StringLiteral swish[] = {"sum_squares", "gate"};
  static constexpr StringLiteral glu[] = {"gate_half", "up_half"};
  static constexpr StringLiteral add[] = {"add"};
  switch (kind) {
  case StageKind::Embedding: return embedding;
  case StageKind::RMSNorm: return norm;
  case StageKind::Quantize: return quantize;
  case StageKind::Accumulate: return accumulate;
  case StageKind::Dequantize: return dequantize;
  case StageKind::ForgetGate: return gate;
  case StageKind::MLGRU: return recurrence;
  case StageKind::SwishGateNorm: return swish;
  case StageKind::GLU: return glu;
  case StageKind::Add: return add;
  }
  llvm_unreachable("unknown stage kind");
}

bool isFloatAddReduction(StageKind kind, StringRef loop) {
  return (kind == StageKind::RMSNorm || kind == StageKind::SwishGateNorm) &&
         loop == "sum_squares";
}

std::optional<std::string> constantName(Value value) {
  Operation *def = value.getDefiningOp();
  if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(def))
    return constantName(slice.getSource());
  Attribute attr;
  if (auto trits = dyn_cast_or_null<mlir::tern::TernaryConstantOp>(def))
    attr = trits.getValue();
  else if (auto constant = dyn_cast_or_null<arith::ConstantOp>(def))
    attr = constant.getValue();
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  if (!resource)
    return std::nullopt;
  StringRef key = resource.getRawHandle().getKey();
  // Resource keys are made unique with a "_<n>" suffix (name collisions).
  size_t underscore = key.rfind('_');
  if (underscore != StringRef::npos && underscore + 1 < key.size() &&
      llvm::all_of(key.drop_front(underscore + 1), llvm::isDigit))
    key = key.take_front(underscore);
  key.consume_back(".trits");
  key.consume_back(".weight");
  return key.str();
}

std::string cIdentifier(StringRef text) {
  std::string id;
  for (char c : text)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id.front()))
    id.insert(0, "s_");
  return id;
}

} // namespace tern::hls
