//===- EmitTop.cpp - the dataflow region and the top function ------------===//
//
// Model: tern_top(ids, num_tokens, state, logits) loads the [L, H] state into
// one array per layer, runs the dataflow region tern_step once per token
// (prefill is a loop of decode steps), and stores the state back.
// Layer: tern_layer(x, y) is itself the dataflow region, between AXI streams.
//
#include "backends/hls/EmitCpp.h"

#include "backends/hls/HLSAttrs.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace tern::hls {
namespace {

void printInterfacePragmas(llvm::raw_ostream &os, Operation *top) {
  auto ports = top->getAttrOfType<ArrayAttr>(kInterfaceAttr);
  if (!ports)
    return;
  for (auto port : ports.getAsRange<DictionaryAttr>()) {
    os << "#pragma HLS INTERFACE";
    for (StringRef key : {"mode", "port"})
      if (auto value = port.getAs<StringAttr>(key))
        os << " " << key << "=" << value.getValue();
    for (NamedAttribute entry : port) {
      StringRef key = entry.getName().getValue();
      if (key == "mode" || key == "port")
        continue;
      if (auto text = dyn_cast<StringAttr>(entry.getValue()))
        os << " " << key << "=" << text.getValue();
      else if (auto number = dyn_cast<IntegerAttr>(entry.getValue()))
        os << " " << key << "=" << number.getInt();
    }
    os << "\n";
  }
}

/// The layers whose state arrays the region updates, in stage order.
SmallVector<int64_t> stateRows(const StageGraph &graph) {
  SmallVector<int64_t> rows;
  for (const Stage &stage : graph.stages)
    for (const StageInput &input : stage.inputs)
      if (input.kind == StageInput::Kind::State)
        rows.push_back(input.stateRow);
  return rows;
}

void printStageCall(llvm::raw_ostream &os, const StageGraph &graph, const Stage &stage) {
  SmallVector<std::string> args;
  for (const StageInput &input : stage.inputs) {
    switch (input.kind) {
    case StageInput::Kind::Stream: args.push_back(graph.streams[input.stream].name); break;
    case StageInput::Kind::TokenId: args.push_back("id"); break;
    case StageInput::Kind::State: args.push_back("state_" + std::to_string(input.stateRow)); break;
    case StageInput::Kind::Constant: break;
    }
  }
  for (const auto &streams : stage.outputs)
    for (int stream : streams)
      args.push_back(graph.streams[stream].name);
  os << "  " << stage.name << "(" << llvm::join(args, ", ") << ");\n";
}

/// Stream declarations, the stage calls and (model) the logits writer.
void printDataflowBody(llvm::raw_ostream &os, const StageGraph &graph) {
  if (graph.top->hasAttr(kDataflowAttr))
    os << "#pragma HLS DATAFLOW\n";
  for (const Stream &stream : graph.streams) {
    if (stream.isPort)
      continue;
    os << "  hls::stream<" << stream.elementType << "> " << stream.name << "(\"" << stream.name
       << "\");\n"
       << "#pragma HLS STREAM variable=" << stream.name << " depth=" << stream.depth << "\n";
  }
  for (const Stage &stage : graph.stages)
    printStageCall(os, graph, stage);
  if (graph.isModel)
    os << "  tern_write_logits(" << graph.streams[graph.logitsStream].name
       << ", logits, logits_offset);\n";
}

void printModel(llvm::raw_ostream &os, const StageGraph &graph) {
  Operation *top = graph.top;
  int64_t hidden = graph.hidden, vocab = graph.vocab;
  SmallVector<int64_t> rows = stateRows(graph);

  os << "// The logits of one token to their row of the `logits` port.\n"
     << "static void tern_write_logits(hls::stream<float> &in, float *logits, int offset) {\n";
  os << "  " << loop::kWriteLogits << ": for (int v = 0; v < " << vocab << "; ++v) {\n";
  printLoopPragmas(os, top, loop::kWriteLogits);
  os << "    logits[offset + v] = in.read();\n  }\n}\n\n";

  SmallVector<std::string> params{"int id"};
  for (int64_t row : rows)
    params.push_back("float state_" + std::to_string(row) + "[" + std::to_string(hidden) + "]");
  params.push_back("float *logits");
  params.push_back("int logits_offset");
  os << "// One decode step: the token `id` through every stage, one process per\n"
     << "// stage, connected by streams; each layer's state array is updated in place.\n"
     << "void tern_step(" << llvm::join(params, ", ") << ") {\n";
  printDataflowBody(os, graph);
  os << "}\n\n";

  os << "// Runs num_tokens tokens (one for a decode step, a prompt for prefill),\n"
     << "// from the state in `state` [" << graph.layers << ", " << hidden
     << "], which receives the final state;\n"
     << "// writes the logits [num_tokens, " << vocab << "].\n"
     << "void tern_top(const int *ids, int num_tokens, float *state, float *logits) {\n";
  printInterfacePragmas(os, top);
  for (int64_t layer = 0; layer < graph.layers; ++layer)
    os << "  float state_" << layer << "[" << hidden << "];\n";
  os << "  " << loop::kLoadState << ": for (int j = 0; j < " << hidden << "; ++j) {\n";
  printLoopPragmas(os, top, loop::kLoadState);
  for (int64_t layer = 0; layer < graph.layers; ++layer)
    os << "    state_" << layer << "[j] = state[" << (layer == 0 ? "" : std::to_string(layer * hidden) + " + ")
       << "j];\n";
  os << "  }\n"
     << "  int logits_offset = 0;\n"
     << "  tokens: for (int t = 0; t < " << graph.maxTokens << "; ++t) {\n"
     << "    if (t >= num_tokens)\n      break;\n"
     << "    tern_step(ids[t], ";
  for (int64_t row : rows)
    os << "state_" << row << ", ";
  os << "logits, logits_offset);\n"
     << "    logits_offset += " << vocab << ";\n  }\n";
  os << "  " << loop::kStoreState << ": for (int j = 0; j < " << hidden << "; ++j) {\n";
  printLoopPragmas(os, top, loop::kStoreState);
  for (int64_t layer = 0; layer < graph.layers; ++layer)
    os << "    state[" << (layer == 0 ? "" : std::to_string(layer * hidden) + " + ") << "j] = state_"
       << layer << "[j];\n";
  os << "  }\n}\n";
}

void printLayer(llvm::raw_ostream &os, const StageGraph &graph) {
  os << "// " << graph.layerName << " alone: one row of x in, one row of y out per call.\n"
     << "void tern_layer(hls::stream<float> &x, hls::stream<float> &y) {\n";
  printInterfacePragmas(os, graph.top);
  printDataflowBody(os, graph);
  os << "}\n";
}

} // namespace

void printTopHeader(llvm::raw_ostream &os, const StageGraph &graph) {
  os << "// tern_top.h - generated by ternc --target=hls: the top function and the\n"
     << "// sizes the testbench needs.\n"
     << "#ifndef TERN_TOP_H\n#define TERN_TOP_H\n\n#include \"tern_hls.h\"\n\n";
  if (graph.isModel) {
    os << "constexpr int TERN_LAYERS = " << graph.layers << ";\n"
       << "constexpr int TERN_HIDDEN = " << graph.hidden << ";\n"
       << "constexpr int TERN_VOCAB = " << graph.vocab << ";\n"
       << "constexpr int TERN_MAX_TOKENS = " << graph.maxTokens << ";\n\n"
       << "// Runs num_tokens token ids from `state` [TERN_LAYERS, TERN_HIDDEN] (updated\n"
       << "// in place) and writes logits [num_tokens, TERN_VOCAB].\n"
       << "void tern_top(const int *ids, int num_tokens, float *state, float *logits);\n";
  } else {
    os << "constexpr int TERN_LAYER_IN = " << graph.layerIn << ";\n"
       << "constexpr int TERN_LAYER_OUT = " << graph.layerOut << ";\n"
       << "constexpr const char *TERN_LAYER_NAME = \"" << graph.layerName << "\";\n\n"
       << "// One BitLinear: TERN_LAYER_IN floats in, TERN_LAYER_OUT floats out per call.\n"
       << "void tern_layer(hls::stream<float> &x, hls::stream<float> &y);\n";
  }
  os << "\n#endif // TERN_TOP_H\n";
}

void printTopSource(llvm::raw_ostream &os, const StageGraph &graph) {
  os << "// tern_top.cpp - generated by ternc --target=hls: the dataflow region"
     << (graph.isModel ? " and the top.\n" : ".\n")
     << "#include \"tern_top.h\"\n#include \"tern_stages.h\"\n\n";
  if (graph.isModel)
    printModel(os, graph);
  else
    printLayer(os, graph);
}

} // namespace tern::hls
