//===- EmitStages.cpp - one C++ function per dataflow stage --------------===//
//
// Each stage function handles one token's row: it reads its input streams,
// writes each result to one stream per reader, and keeps its weights in
// `static const` ROM arrays whose contents are in weights/. The float
// operations are written in the order of docs/model-spec.md, the order the
// CPU backend uses (compiler/Conversion/TernToLinalg/TernToLinalg.cpp), so C
// simulation matches it. The loops and arrays carry the pragmas the
// directive passes put in hls.loops / hls.array_partition / hls.bind_*.
//
#include "backends/hls/EmitCpp.h"

#include "backends/hls/HLSAttrs.h"
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace mlir::tern;

namespace tern::hls {

void printLoopPragmas(llvm::raw_ostream &os, Operation *owner, StringRef label) {
  auto loops = owner->getAttrOfType<DictionaryAttr>(kLoopsAttr);
  auto directives = loops ? loops.getAs<DictionaryAttr>(label) : DictionaryAttr();
  if (!directives)
    return;
  if (auto ii = directives.getAs<IntegerAttr>(kPipelineII))
    os << "#pragma HLS PIPELINE II=" << ii.getInt() << "\n";
  if (auto unroll = directives.getAs<IntegerAttr>(kUnroll)) {
    os << "#pragma HLS UNROLL";
    if (unroll.getInt() > 0)
      os << " factor=" << unroll.getInt();
    os << "\n";
  }
}

namespace {
/// `key=value` for a string or integer attribute.
void printKeyValue(llvm::raw_ostream &os, StringRef key, Attribute value) {
  os << " " << key << "=";
  if (auto text = dyn_cast<StringAttr>(value))
    os << text.getValue();
  else if (auto number = dyn_cast<IntegerAttr>(value))
    os << number.getInt();
}

/// `#pragma HLS KIND` with `first` keys first, then the rest in order.
void printPragma(llvm::raw_ostream &os, StringRef kind, DictionaryAttr entries,
                 ArrayRef<StringRef> first) {
  os << "#pragma HLS " << kind;
  for (StringRef key : first)
    if (Attribute value = entries.get(key))
      printKeyValue(os, key, value);
  for (NamedAttribute entry : entries)
    if (!llvm::is_contained(first, entry.getName().getValue()))
      printKeyValue(os, entry.getName().getValue(), entry.getValue());
  os << "\n";
}
} // namespace

void printVariablePragmas(llvm::raw_ostream &os, Operation *owner, StringRef variable) {
  for (auto [attrName, pragma] : {std::pair<StringRef, StringRef>{kArrayPartitionAttr, "ARRAY_PARTITION"},
                                  {kBindStorageAttr, "BIND_STORAGE"},
                                  {kBindOpAttr, "BIND_OP"}}) {
    auto list = owner->getAttrOfType<ArrayAttr>(attrName);
    if (!list)
      continue;
    for (auto entry : list.getAsRange<DictionaryAttr>()) {
      auto name = entry.getAs<StringAttr>("variable");
      if (name && name.getValue() == variable)
        printPragma(os, pragma, entry, {"variable", "type", "op", "factor", "dim", "impl"});
    }
  }
}

namespace {

std::string paramName(bool input, unsigned index, unsigned k = 0) {
  return input ? "in" + std::to_string(index)
               : "out" + std::to_string(index) + "_" + std::to_string(k);
}

int64_t rowOf(Type type) {
  auto ranked = cast<RankedTensorType>(type);
  return ranked.getDimSize(ranked.getRank() - 1);
}

class StagePrinter {
public:
  StagePrinter(llvm::raw_ostream &os, const StageGraph &graph, const Stage &stage,
               std::vector<ProjectFile> &weights)
      : os(os), graph(graph), stage(stage), op(stage.op), weights(weights) {}

  LogicalResult print() {
    printStageSignature(os, graph, stage);
    os << " {\n";
    LogicalResult result = body();
    os << "}\n\n";
    return result;
  }

private:
  LogicalResult body() {
    switch (stage.kind) {
    case StageKind::Embedding: return embedding(cast<EmbeddingOp>(op));
    case StageKind::RMSNorm: return rmsNorm(cast<RMSNormOp>(op));
    case StageKind::Quantize: return quantize(cast<QuantizeOp>(op));
    case StageKind::Accumulate: return accumulate(cast<TernaryAccumulateOp>(op));
    case StageKind::Dequantize: return dequantize(cast<DequantizeOp>(op));
    case StageKind::ForgetGate: return forgetGate(cast<ForgetGateOp>(op));
    case StageKind::MLGRU: return mlgru(cast<MLGRUOp>(op));
    case StageKind::SwishGateNorm: return swishGateNorm(cast<SwishGateNormOp>(op));
    case StageKind::GLU: return glu(cast<GLUOp>(op));
    case StageKind::Add: return add();
    }
    llvm_unreachable("unknown stage kind");
  }

  /// The input stream parameter of operand `operand`; fails if the operand
  /// is not streamed (a data input must come from another stage or a port).
  FailureOr<std::string> in(unsigned operand) {
    if (stage.inputs[operand].kind != StageInput::Kind::Stream)
      return op->emitError("tern-hls: operand ")
             << operand << " of " << stage.name << " must come from another stage";
    return paramName(true, operand);
  }

  void writeAll(unsigned result, StringRef value, StringRef indent) {
    for (unsigned k = 0; k < stage.outputs[result].size(); ++k)
      os << indent << paramName(false, result, k) << ".write(" << value << ");\n";
  }

  void openLoop(StringRef label, StringRef var, int64_t bound, StringRef indent) {
    os << indent << label << ": for (int " << var << " = 0; " << var << " < " << bound << "; ++"
       << var << ") {\n";
    printLoopPragmas(os, op, label);
  }

  /// `static const TYPE NAME[dims] = { #include "../weights/FILE" };`
  void rom(StringRef type, StringRef name, ArrayRef<int64_t> dims, std::string contents) {
    std::string file = stage.name + "_" + name.str() + ".inc";
    os << "  static const " << type << " " << name;
    for (int64_t d : dims)
      os << "[" << d << "]";
    os << " = {\n#include \"../weights/" << file << "\"\n  };\n";
    printVariablePragmas(os, op, name);
    weights.push_back({"weights/" + file, std::move(contents)});
  }

  LogicalResult floatRom(StringRef name, Value constant, int64_t length) {
    std::vector<float> values;
    if (failed(readFloats(constant, values)))
      return failure();
    if (int64_t(values.size()) != length)
      return op->emitError("tern-hls: ") << name << " has " << values.size()
                                          << " values, expected " << length;
    rom("float", name, {length}, floatInitializer(values));
    return success();
  }

  /// The norm factor 1 / sqrt(sum / n + eps) of the buffered `row`, after
  /// reading it from `input` (sum of squares in order, as the CPU backend).
  void sumOfSquares(StringRef input, int64_t n, float epsilon) {
    os << "  float row[" << n << "];\n  float sum = 0.0f;\n";
    openLoop("sum_squares", "j", n, "  ");
    os << "    const float x = " << input << ".read();\n"
       << "    row[j] = x;\n"
       << "    sum = sum + x * x;\n  }\n"
       << "  const float r = 1.0f / std::sqrt(sum / " << floatLiteral(float(n)) << " + "
       << floatLiteral(epsilon) << ");\n";
  }

  LogicalResult embedding(EmbeddingOp embedding) {
    auto table = cast<RankedTensorType>(embedding.getTable().getType());
    int64_t vocab = table.getDimSize(0), hidden = table.getDimSize(1);
    auto constant = embedding.getTable().getDefiningOp<arith::ConstantOp>();
    if (!constant || stage.inputs[1].kind != StageInput::Kind::TokenId)
      return op->emitError("tern-hls: the embedding needs a constant table and the token id");
    std::string value;
    if (table.getElementType().isBF16()) {
      // bf16 stays 16 bits in ROM; widening it to f32 is a shift.
      FailureOr<std::vector<uint8_t>> bytes = constantBytes(op, constant.getValue());
      if (failed(bytes))
        return failure();
      rom("uint16_t", var::kTable, {vocab, hidden}, halfWordInitializer(*bytes, hidden));
      value = "tern_bf16_to_float(table[id][j])";
    } else {
      // f16 and f32 tables are widened to f32 here, exactly, once.
      std::vector<float> values;
      if (failed(readFloats(embedding.getTable(), values)))
        return failure();
      rom("float", var::kTable, {vocab, hidden}, floatInitializer(values, hidden));
      value = "table[id][j]";
    }
    openLoop("row", "j", hidden, "  ");
    os << "    const float v = " << value << ";\n";
    writeAll(0, "v", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult rmsNorm(RMSNormOp norm) {
    int64_t n = rowOf(norm.getType());
    FailureOr<std::string> input = in(0);
    if (failed(input) || failed(floatRom("weight", norm.getWeight(), n)))
      return failure();
    sumOfSquares(*input, n, norm.getEpsilon().convertToFloat());
    openLoop("normalize", "j", n, "  ");
    os << "    const float y = row[j] * r * weight[j];\n";
    writeAll(0, "y", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult swishGateNorm(SwishGateNormOp swish) {
    int64_t n = rowOf(swish.getType());
    FailureOr<std::string> gate = in(0), hidden = in(1);
    if (failed(gate) || failed(hidden) || failed(floatRom("weight", swish.getWeight(), n)))
      return failure();
    sumOfSquares(*gate, n, swish.getEpsilon().convertToFloat());
    openLoop("gate", "j", n, "  ");
    os << "    const float h = " << *hidden << ".read();\n"
       << "    const float y = row[j] * r * weight[j];\n"
       << "    const float o = y * h * tern_sigmoid(h);\n";
    writeAll(0, "o", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult quantize(QuantizeOp quantize) {
    int64_t k = rowOf(quantize.getInput().getType());
    FailureOr<std::string> input = in(0);
    if (failed(input))
      return failure();
    os << "  float row[" << k << "];\n  float absmax = 0.0f;\n";
    openLoop("absmax", "j", k, "  ");
    os << "    const float y = " << *input << ".read();\n"
       << "    row[j] = y;\n"
       << "    absmax = tern_maximum(absmax, std::fabs(y));\n  }\n"
       << "  const float scale = 127.0f / tern_maximum(absmax, " << floatLiteral(1e-5f) << ");\n";
    writeAll(1, "scale", "  ");
    openLoop("quantize", "j", k, "  ");
    os << "    const ap_int<8> q = tern_quantize(row[j], scale);\n";
    writeAll(0, "q", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult accumulate(TernaryAccumulateOp accumulate) {
    auto trits = cast<TritsType>(accumulate.getWeight().getType());
    Packing packing = trits.getPacking();
    int64_t rows = trits.getRows(), cols = trits.getCols();
    int64_t perByte = tritsPerByte(packing), rowBytes = packedRowBytes(cols, packing);
    auto bytesAttr = op->getAttrOfType<IntegerAttr>(kBytesPerCycleAttr);
    auto accBitsAttr = op->getAttrOfType<IntegerAttr>(kAccBitsAttr);
    if (!bytesAttr || !accBitsAttr || bytesAttr.getInt() < 1 || bytesAttr.getInt() > rowBytes)
      return op->emitError("tern-hls: the accumulate needs ")
             << kBytesPerCycleAttr << " in [1, " << rowBytes << "] and " << kAccBitsAttr
             << " (run tern-hls-directives)";
    int64_t lanes = bytesAttr.getInt(), accBits = accBitsAttr.getInt();
    auto constant = accumulate.getWeight().getDefiningOp<TernaryConstantOp>();
    FailureOr<std::string> input = in(0);
    if (!constant || failed(input))
      return op->emitError("tern-hls: the accumulate needs a tern.ternary_constant weight");
    FailureOr<std::vector<uint8_t>> bytes = constantBytes(op, constant.getValue());
    if (failed(bytes))
      return failure();
    std::string key;
    llvm::raw_string_ostream(key) << '"' << stage.traceKey << '"';

    os << "  // " << rows << " x " << cols << " trits, " << stringifyPacking(packing) << " ("
       << perByte << " per byte), " << lanes << " bytes = " << lanes * perByte
       << " trits per clock; only adders and subtractors.\n";
    rom("uint8_t", var::kTrits, {rows, rowBytes}, byteInitializer(*bytes, rowBytes));
    if (packing == Packing::base3) {
      // base3 byte -> its five 2-bit codes (trit + 1), from the one definition
      // of the layout (dialects/Tern/IR/Packing.cpp): a lookup, not a divider.
      os << "  static const uint16_t base3_codes[243] = {";
      for (unsigned byte = 0; byte < 243; ++byte) {
        uint8_t packed = uint8_t(byte);
        int8_t digits[5];
        unpackTritRow(&packed, 5, Packing::base3, digits);
        unsigned codes = 0;
        for (int j = 0; j < 5; ++j)
          codes |= unsigned(digits[j] + 1) << (2 * j);
        os << (byte % 12 == 0 ? "\n      " : " ") << llvm::format("0x%03x", codes)
           << (byte + 1 < 243 ? "," : "");
      }
      os << "};\n";
    }
    os << "  ap_int<8> q[" << rowBytes << "][" << perByte << "];\n";
    printVariablePragmas(os, op, var::kQ);

    // Load the int8 row, perByte activations per packed byte; past K, zeros.
    os << "  int i = 0, j = 0;\n";
    openLoop("load", "k", rowBytes * perByte, "  ");
    if (cols % perByte) {
      os << "    ap_int<8> v = 0;\n"
         << "    if (k < " << cols << ") {\n"
         << "      v = " << *input << ".read();\n"
         << "      TERN_TRACE(" << key << ", \"q\", v);\n    }\n";
    } else {
      os << "    const ap_int<8> v = " << *input << ".read();\n"
         << "    TERN_TRACE(" << key << ", \"q\", v);\n";
    }
    os << "    q[i][j] = v;\n";
    if (perByte == 1)
      os << "    ++i;\n";
    else
      os << "    if (j == " << perByte - 1 << ") {\n      j = 0;\n      ++i;\n    } else {\n"
         << "      ++j;\n    }\n";
    os << "  }\n";

    // Each clock adds `lanes` bytes of trits into `partial` (an adder tree
    // within the clock); `acc` carries a row across its `chunks` clocks.
    int64_t chunks = (rowBytes + lanes - 1) / lanes;
    std::string acc = "ap_int<" + std::to_string(accBits) + ">";
    std::string column = chunks == 1 ? "b" : "base + b";
    os << "  " << acc << " acc = 0;\n";
    printVariablePragmas(os, op, var::kAcc);
    os << "  int n = 0" << (chunks == 1 ? "" : ", base = 0") << ";\n";
    openLoop("accumulate", "step", rows * chunks, "  ");
    os << "    " << acc << " partial = 0;\n";
    printVariablePragmas(os, op, var::kPartial);
    openLoop("lanes", "b", lanes, "    ");
    std::string indent = "      ";
    if (rowBytes % lanes) {
      os << indent << "if (" << column << " < " << rowBytes << ") {\n";
      indent += "  ";
    }
    os << indent << "const ap_uint<8> byte = trits[n][" << column << "];\n";
    if (packing == Packing::base3)
      os << indent << "const ap_uint<10> codes = base3_codes[byte.to_uint()];\n";
    for (int64_t j = 0; j < perByte; ++j) {
      std::string code;
      if (packing == Packing::two_bit)
        code = "byte.range(" + std::to_string(2 * j + 1) + ", " + std::to_string(2 * j) + ")";
      else if (packing == Packing::base3)
        code = "codes.range(" + std::to_string(2 * j + 1) + ", " + std::to_string(2 * j) + ")";
      else
        code = "tern_code_of_trit(byte)";
      os << indent << "partial += tern_trit_term<" << accBits << ">(" << code << ", q[" << column
         << "][" << j << "]);\n";
    }
    if (rowBytes % lanes)
      os << "      }\n";
    os << "    }\n    acc += partial;\n";
    std::string end = "      TERN_TRACE(" + key + ", \"acc\", acc);\n";
    if (chunks == 1) {
      os << "    TERN_TRACE(" << key << ", \"acc\", acc);\n";
      writeAll(0, "ap_int<32>(acc)", "    ");
      os << "    acc = 0;\n    ++n;\n  }\n";
    } else {
      os << "    if (base + " << lanes << " >= " << rowBytes << ") {\n" << end;
      writeAll(0, "ap_int<32>(acc)", "      ");
      os << "      acc = 0;\n      base = 0;\n      ++n;\n    } else {\n      base += " << lanes
         << ";\n    }\n  }\n";
    }
    return success();
  }

  LogicalResult dequantize(DequantizeOp dequantize) {
    int64_t n = rowOf(dequantize.getType());
    FailureOr<std::string> acc = in(0), scale = in(1);
    if (failed(acc) || failed(scale))
      return failure();
    os << "  // s_x * s_w, rounded to float before the division, as the reference does\n"
       << "  const float scale = " << *scale << ".read() * "
       << floatLiteral(dequantize.getWeightScale().convertToFloat()) << ";\n";
    openLoop("dequantize", "j", n, "  ");
    os << "    const float y = float(" << *acc << ".read().to_int()) / scale;\n";
    writeAll(0, "y", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult forgetGate(ForgetGateOp gate) {
    int64_t n = rowOf(gate.getType());
    FailureOr<std::string> input = in(0);
    if (failed(input))
      return failure();
    bool bounded = bool(gate.getLowerBound());
    if (bounded && failed(floatRom("lower_bound", gate.getLowerBound(), n)))
      return failure();
    openLoop("gate", "j", n, "  ");
    os << "    const float z = " << *input << ".read();\n"
       << "    " << (bounded ? "const float s" : "const float f") << " = tern_sigmoid(z);\n";
    if (bounded)
      os << "    const float f = lower_bound[j] + (1.0f - lower_bound[j]) * s;\n";
    writeAll(0, "f", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult mlgru(MLGRUOp mlgru) {
    int64_t n = rowOf(mlgru.getHidden().getType());
    FailureOr<std::string> input = in(0), forget = in(1);
    if (failed(input) || failed(forget))
      return failure();
    if (stage.inputs[2].kind != StageInput::Kind::State)
      return op->emitError("tern-hls: the MLGRU's initial state must be a row of the state");
    os << "  // h_t = f_t * h_{t-1} + silu(i_t) * (1 - f_t); the state array is h\n";
    openLoop("recurrence", "j", n, "  ");
    os << "    const float x = " << *input << ".read();\n"
       << "    const float f = " << *forget << ".read();\n"
       << "    const float a = tern_silu(x) * (1.0f - f);\n"
       << "    const float h = f * state[j] + a;\n"
       << "    state[j] = h;\n";
    writeAll(0, "h", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult glu(GLUOp glu) {
    int64_t half = rowOf(glu.getType());
    FailureOr<std::string> input = in(0);
    if (failed(input))
      return failure();
    os << "  float gate[" << half << "];\n";
    openLoop("gate_half", "j", half, "  ");
    os << "    gate[j] = " << *input << ".read();\n  }\n";
    openLoop("up_half", "j", half, "  ");
    os << "    const float up = " << *input << ".read();\n"
       << "    const float y = tern_silu(gate[j]) * up;\n";
    writeAll(0, "y", "    ");
    os << "  }\n";
    return success();
  }

  LogicalResult add() {
    int64_t n = rowOf(op->getResult(0).getType());
    FailureOr<std::string> lhs = in(0), rhs = in(1);
    if (failed(lhs) || failed(rhs))
      return failure();
    openLoop("add", "j", n, "  ");
    os << "    const float a = " << *lhs << ".read();\n"
       << "    const float b = " << *rhs << ".read();\n"
       << "    const float y = a + b;\n";
    writeAll(0, "y", "    ");
    os << "  }\n";
    return success();
  }

  llvm::raw_ostream &os;
  const StageGraph &graph;
  const Stage &stage;
  Operation *op;
  std::vector<ProjectFile> &weights;
};

} // namespace

void printStageSignature(llvm::raw_ostream &os, const StageGraph &graph, const Stage &stage) {
  SmallVector<std::string> params;
  for (auto [index, input] : llvm::enumerate(stage.inputs)) {
    switch (input.kind) {
    case StageInput::Kind::Stream:
      params.push_back("hls::stream<" + graph.streams[input.stream].elementType + "> &" +
                       paramName(true, index));
      break;
    case StageInput::Kind::TokenId:
      params.push_back("int id");
      break;
    case StageInput::Kind::State:
      params.push_back("float state[" + std::to_string(graph.hidden) + "]");
      break;
    case StageInput::Kind::Constant:
      break;
    }
  }
  for (auto [result, streams] : llvm::enumerate(stage.outputs))
    for (auto [k, stream] : llvm::enumerate(streams))
      params.push_back("hls::stream<" + graph.streams[stream].elementType + "> &" +
                       paramName(false, result, k));
  os << "void " << stage.name << "(" << llvm::join(params, ", ") << ")";
}

LogicalResult printStage(llvm::raw_ostream &os, const StageGraph &graph, const Stage &stage,
                         std::vector<ProjectFile> &weights) {
  return StagePrinter(os, graph, stage, weights).print();
}

} // namespace tern::hls
