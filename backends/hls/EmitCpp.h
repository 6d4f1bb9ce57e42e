//===- EmitCpp.h - pieces of the HLS C++ printer ----------------*- C++ -*-===//
//
// Internal to the HLS emitter: EmitWeights.cpp prints ROM contents,
// EmitStages.cpp one function per stage, EmitTop.cpp the dataflow region and
// the top; HLSEmitter.cpp puts the files together. Every pragma comes from an
// attribute (HLSAttrs.h); nothing here decides one.
//
#ifndef TERN_BACKENDS_HLS_EMITCPP_H
#define TERN_BACKENDS_HLS_EMITCPP_H

#include "backends/hls/HLSEmitter.h"
#include "backends/hls/StageGraph.h"

#include "mlir/IR/Operation.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace tern::hls {

//===- EmitWeights.cpp ---------------------------------------------------===//

/// A C float literal that reads back as exactly `value` (9 significant digits).
std::string floatLiteral(float value);

/// The f32 values of a constant operand: an arith.constant (bf16/f16/f32) or
/// a static [1, N] row slice of one.
mlir::LogicalResult readFloats(mlir::Value constant, std::vector<float> &values);

/// The raw bytes of a constant (dense, splat or resource).
mlir::FailureOr<std::vector<uint8_t>> constantBytes(mlir::Operation *op, mlir::Attribute value);

/// Initializer lists: each row of `rowLength` values in braces (0: a flat
/// list, for one-dimensional arrays), 8 or 16 values a line.
std::string floatInitializer(llvm::ArrayRef<float> values, size_t rowLength = 0);
std::string byteInitializer(llvm::ArrayRef<uint8_t> bytes, size_t rowLength = 0);
std::string halfWordInitializer(llvm::ArrayRef<uint8_t> littleEndianBytes, size_t rowLength = 0);

//===- EmitStages.cpp ----------------------------------------------------===//

/// `#pragma HLS PIPELINE` / `UNROLL` for loop `label` from owner's hls.loops.
void printLoopPragmas(llvm::raw_ostream &os, mlir::Operation *owner, llvm::StringRef label);

/// ARRAY_PARTITION / BIND_STORAGE / BIND_OP pragmas that name `variable`.
void printVariablePragmas(llvm::raw_ostream &os, mlir::Operation *owner,
                          llvm::StringRef variable);

/// `void NAME(PARAMS)`: streams in operand order, then the outputs.
void printStageSignature(llvm::raw_ostream &os, const StageGraph &graph, const Stage &stage);

/// The definition of one stage function; its ROM contents go to `weights`.
mlir::LogicalResult printStage(llvm::raw_ostream &os, const StageGraph &graph,
                               const Stage &stage, std::vector<ProjectFile> &weights);

//===- EmitTop.cpp -------------------------------------------------------===//

/// src/tern_top.h: sizes for the testbench and the top's prototype.
void printTopHeader(llvm::raw_ostream &os, const StageGraph &graph);

/// src/tern_top.cpp: the dataflow region (tern_step or tern_layer) and, for a
/// model, the tern_top wrapper that loops over tokens.
void printTopSource(llvm::raw_ostream &os, const StageGraph &graph);

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_EMITCPP_H
