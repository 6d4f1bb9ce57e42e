//===- StageGraph.h - the top function as stages and streams ----*- C++ -*-===//
//
// What the emitter and the estimate read from the annotated IR: the stage
// ops in program order, how each operand reaches its stage function (a
// stream, a ROM constant, a layer's recurrent state, the token id), and one
// hls::stream per (value, reader) pair, so every stream has one writer and
// one reader as Vitis dataflow requires.
//
#ifndef TERN_BACKENDS_HLS_STAGEGRAPH_H
#define TERN_BACKENDS_HLS_STAGEGRAPH_H

#include "backends/hls/StageKinds.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace tern::hls {

struct Stream {
  std::string name;        // the C++ variable (or top port) that carries it
  std::string elementType; // float, ap_int<8>, ap_int<32>
  int64_t depth = 2;       // hls.stream_depth of the producer's result
  int64_t rowElements = 1; // elements per token
  int producer = -1;       // stage index, or -1 for a top input port
  int consumer = -1;       // stage index, or -1 for a top output
  bool isPort = false;     // a port of the top function, not declared inside
};

struct StageInput {
  enum class Kind { Stream, Constant, State, TokenId } kind = Kind::Constant;
  int stream = -1;       // Kind::Stream: index into StageGraph::streams
  int64_t stateRow = -1; // Kind::State: the layer whose state it is
};

struct Stage {
  mlir::Operation *op = nullptr;
  StageKind kind = StageKind::Add;
  std::string name;                                     // hls.stage
  llvm::SmallVector<StageInput> inputs;                 // one per operand
  llvm::SmallVector<llvm::SmallVector<int>> outputs;    // per result: streams it writes
  std::string traceKey; // accumulate: the weight name TERN_TRACE reports under
};

struct StageGraph {
  mlir::func::FuncOp top;
  bool isModel = true; // hls.top: "model" or "layer"
  std::vector<Stage> stages;
  std::vector<Stream> streams;
  // model
  int64_t layers = 0, hidden = 0, vocab = 0, maxTokens = 0;
  int logitsStream = -1;
  // layer
  int64_t layerIn = 0, layerOut = 0;
  std::string layerName;
};

/// Reads the function marked hls.top after the HLS passes. Errors name the
/// op and say which pass was missing.
mlir::FailureOr<StageGraph> buildStageGraph(mlir::ModuleOp module);

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_STAGEGRAPH_H
