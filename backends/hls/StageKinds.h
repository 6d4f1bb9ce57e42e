//===- StageKinds.h - the ops that become HLS stage functions ---*- C++ -*-===//
//
// Each op of the top function that computes becomes one stage function of
// the dataflow region. Its kind fixes the function's loops (their labels are
// what `hls.loops` refers to); the directive passes, the emitter and the
// estimate all use this one list.
//
#ifndef TERN_BACKENDS_HLS_STAGEKINDS_H
#define TERN_BACKENDS_HLS_STAGEKINDS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace tern::hls {

enum class StageKind {
  Embedding,     // tern.embedding
  RMSNorm,       // tern.rms_norm
  Quantize,      // tern.quantize
  Accumulate,    // tern.ternary_accumulate
  Dequantize,    // tern.dequantize
  ForgetGate,    // tern.forget_gate
  MLGRU,         // tern.mlgru
  SwishGateNorm, // tern.swish_gate_norm
  GLU,           // tern.glu
  Add,           // arith.addf on tensors (the residual adds)
};

/// The stage kind of `op`, or std::nullopt for ops that are not stages
/// (constants, tensor.empty, slices of the state and of constants).
std::optional<StageKind> stageKindOf(mlir::Operation *op);

/// "embedding", "rms_norm", ...: for names and messages.
llvm::StringRef stageKindName(StageKind kind);

/// The labels of the loops of a stage function of this kind, in order.
llvm::ArrayRef<llvm::StringLiteral> stageLoops(StageKind kind);

/// Whether the loop adds floats in order (its II is bounded by the add's
/// latency, not by the directives' wish).
bool isFloatAddReduction(StageKind kind, llvm::StringRef loop);

/// The checkpoint name behind a constant operand, without `.weight`,
/// `.trits` and resource-uniquing suffixes (`model.layers.0.attn.i_proj`),
/// looking through tern.ternary_constant and tensor.extract_slice; or
/// std::nullopt for an unnamed (inline dense) constant.
std::optional<std::string> constantName(mlir::Value value);

/// `text` as a C identifier: every other character becomes '_'.
std::string cIdentifier(llvm::StringRef text);

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_STAGEKINDS_H
