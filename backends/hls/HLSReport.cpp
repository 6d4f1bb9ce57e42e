//===- HLSReport.cpp - resource and speed estimate from directives -------===//
#include "backends/hls/HLSReport.h"

#include "backends/hls/HLSAttrs.h"
#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Regex.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tern;

namespace tern::hls {
namespace {

// Assumed latencies (cycles) of single-precision operators at about 300 MHz
// on UltraScale+, as Vitis HLS's floating-point cores typically schedule
// them. Assumptions: docs/hls.md. They only add pipeline depth per row.
constexpr int64_t kFAdd = 4, kFMul = 3, kFDiv = 12, kFSqrt = 12, kFExp = 20;
constexpr int64_t kSigmoid = kFExp + kFAdd + kFDiv;
constexpr int64_t kNormFactor = kFDiv + kFAdd + kFSqrt + kFDiv; // 1/sqrt(sum/n + eps)

struct LoopShape {
  StringRef label;
  int64_t trips;
  int64_t depth; // pipeline depth of one iteration
};

/// Block RAMs (36 Kb) for `elements` values of `width` bits split into
/// `banks` banks: each bank takes the narrowest aspect ratio that fits.
int64_t bram36For(int64_t elements, int64_t width, int64_t banks) {
  static const std::pair<int64_t, int64_t> modes[] = {{1, 32768}, {2, 16384}, {4, 8192},
                                                       {9, 4096},  {18, 2048}, {36, 1024}};
  int64_t depth = llvm::divideCeil(elements, banks);
  for (auto [modeWidth, modeDepth] : modes)
    if (width <= modeWidth)
      return banks * llvm::divideCeil(depth, modeDepth);
  return banks * llvm::divideCeil(width, 36) * llvm::divideCeil(depth, 1024);
}

int64_t rowOf(Type type) {
  auto ranked = cast<RankedTensorType>(type);
  return ranked.getDimSize(ranked.getRank() - 1);
}

/// BRAM36 count and LUTs of a device, for the fit line.
struct Device {
  const char *prefix;
  int64_t bram36;
  int64_t luts;
};
constexpr Device kDevices[] = {
    {"xcu280", 2016, 1303680}, {"xcu55c", 2016, 1303680}, {"xcu250", 2688, 1728000},
    {"xcu200", 2160, 1182240}, {"xcu50", 1344, 871680},   {"xcvu9p", 2160, 1182240},
    {"xczu9eg", 912, 274080},
};

const Device *deviceOf(StringRef part) {
  for (const Device &device : kDevices)
    if (part.starts_with(device.prefix) && part.size() > strlen(device.prefix) &&
        part[strlen(device.prefix)] == '-')
      return &device;
  return nullptr;
}

std::string groupOf(const StageGraph &graph, StringRef stage) {
  if (!graph.isModel)
    return graph.layerName;
  llvm::Regex layer("^layers_([0-9]+)_");
  SmallVector<StringRef> groups;
  if (layer.match(stage, &groups))
    return "layers." + groups[1].str();
  if (stage.starts_with("lm_head"))
    return "lm_head";
  return stage.str();
}

/// Loops, a once-per-row scalar latency, and whether the stage streams
/// (writes element j after reading element j) or reads whole rows first.
struct Shape {
  SmallVector<LoopShape> loops;
  int64_t scalar = 0;
  bool streams = false;
};

Shape shapeOf(const Stage &stage, StageEstimate &out) {
  Operation *op = stage.op;
  Shape shape;
  auto rom = [&](int64_t elements, int64_t width, int64_t banks) {
    out.romBits += elements * width;
    out.bram36 += bram36For(elements, width, banks);
  };
  switch (stage.kind) {
  case StageKind::Embedding: {
    auto table = cast<RankedTensorType>(op->getOperand(0).getType());
    int64_t hidden = table.getDimSize(1);
    rom(table.getNumElements(), table.getElementType().isBF16() ? 16 : 32, 1);
    shape.loops = {{"row", hidden, 3}};
    shape.streams = true;
    break;
  }
  case StageKind::RMSNorm:
  case StageKind::SwishGateNorm: {
    int64_t n = rowOf(op->getResult(0).getType());
    rom(n, 32, 1);
    shape.scalar = kNormFactor;
    bool swish = stage.kind == StageKind::SwishGateNorm;
    shape.loops = {{"sum_squares", n, kFMul + kFAdd},
                   {swish ? "gate" : "normalize", n, (swish ? 3 * kFMul + kSigmoid : 2 * kFMul) + 2}};
    break;
  }
  case StageKind::Quantize: {
    int64_t k = rowOf(op->getOperand(0).getType());
    shape.scalar = kFDiv;
    shape.loops = {{"absmax", k, 3}, {"quantize", k, kFMul + 6}};
    break;
  }
  case StageKind::Accumulate: {
    auto trits = cast<TritsType>(op->getOperand(1).getType());
    int64_t perByte = tritsPerByte(trits.getPacking());
    int64_t rowBytes = packedRowBytes(trits.getCols(), trits.getPacking());
    int64_t lanes = op->getAttrOfType<IntegerAttr>(kBytesPerCycleAttr).getInt();
    int64_t accBits = op->getAttrOfType<IntegerAttr>(kAccBitsAttr).getInt();
    out.tritsPerClock = lanes * perByte;
    out.adders = 2 * out.tritsPerClock; // a negation and an addition per trit lane
    out.adderLUTs = out.tritsPerClock * (9 + accBits);
    rom(trits.getRows() * rowBytes, 8, lanes);
    if (trits.getPacking() == Packing::base3)
      rom(243, 16, 1);
    int64_t chunks = llvm::divideCeil(rowBytes, lanes);
    shape.loops = {{"load", rowBytes * perByte, 2},
                   {"accumulate", trits.getRows() * chunks,
                    3 + int64_t(llvm::Log2_64_Ceil(uint64_t(out.tritsPerClock) + 1))}};
    break;
  }
  case StageKind::Dequantize:
    shape.scalar = kFMul;
    shape.loops = {{"dequantize", rowOf(op->getResult(0).getType()), 4 + kFDiv}};
    shape.streams = true;
    break;
  case StageKind::ForgetGate: {
    int64_t n = rowOf(op->getResult(0).getType());
    bool bounded = cast<ForgetGateOp>(op).getLowerBound() != nullptr;
    if (bounded)
      rom(n, 32, 1);
    shape.loops = {{"gate", n, kSigmoid + (bounded ? kFAdd + kFMul + kFAdd : 0)}};
    shape.streams = true;
    break;
  }
  case StageKind::MLGRU:
    shape.loops = {{"recurrence", rowOf(op->getResult(0).getType()),
                    kSigmoid + 3 * kFMul + kFAdd}};
    shape.streams = true;
    break;
  case StageKind::GLU: {
    int64_t half = rowOf(op->getResult(0).getType());
    shape.loops = {{"gate_half", half, 1}, {"up_half", half, kSigmoid + 2 * kFMul}};
    break;
  }
  case StageKind::Add:
    shape.loops = {{"add", rowOf(op->getResult(0).getType()), kFAdd}};
    shape.streams = true;
    break;
  }
  return shape;
}

} // namespace

FailureOr<Estimate> estimate(ModuleOp module, const StageGraph &graph) {
  Estimate result;
  auto clock = module->getAttrOfType<FloatAttr>(kClockAttr);
  auto part = module->getAttrOfType<StringAttr>(kPartAttr);
  if (!clock || !part)
    return module.emitError("tern-hls: the module has no ")
           << kPartAttr << " / " << kClockAttr << " (run tern-hls-target)";
  result.clockMHz = clock.getValueAsDouble();
  result.part = part.str();

  for (const Stage &stage : graph.stages) {
    StageEstimate out;
    out.name = stage.name;
    out.kind = stageKindName(stage.kind).str();
    out.group = groupOf(graph, stage.name);
    Shape shape = shapeOf(stage, out);
    auto loops = stage.op->getAttrOfType<DictionaryAttr>(kLoopsAttr);
    int64_t cycles = shape.scalar, depth = shape.scalar;
    SmallVector<int64_t> iis;
    for (const LoopShape &loop : shape.loops) {
      auto directives = loops ? loops.getAs<DictionaryAttr>(loop.label) : DictionaryAttr();
      auto ii = directives ? directives.getAs<IntegerAttr>(kPipelineII) : IntegerAttr();
      if (!ii)
        return stage.op->emitError("tern-hls: loop '")
               << loop.label << "' of " << stage.name << " has no " << kPipelineII
               << " (run tern-hls-directives)";
      if (!llvm::is_contained(iis, ii.getInt()))
        iis.push_back(ii.getInt());
      cycles += loop.trips * ii.getInt() + loop.depth;
      depth += loop.depth;
    }
    for (int64_t ii : iis)
      out.ii += (out.ii.empty() ? "" : "/") + std::to_string(ii);
    out.cycles = cycles;

    // A streaming stage follows its inputs element by element: it ends its
    // pipeline depth after they end. Others start when their inputs end.
    int64_t ready = 0;
    for (const StageInput &input : stage.inputs)
      if (input.kind == StageInput::Kind::Stream) {
        int producer = graph.streams[input.stream].producer;
        if (producer >= 0)
          ready = std::max(ready, result.stages[producer].finish);
      }
    out.finish = ready + (shape.streams && ready > 0 ? depth : cycles);
    if (out.cycles > result.interval) {
      result.interval = out.cycles;
      result.slowestStage = out.name;
    }
    result.stages.push_back(out);
  }
  for (const StageEstimate &stage : result.stages)
    result.cyclesPerToken = std::max(result.cyclesPerToken, stage.finish);
  if (graph.isModel)
    result.cyclesPerToken += 2; // the logits writer streams behind the last stage
  return result;
}

void printReport(llvm::raw_ostream &os, const StageGraph &graph, const Estimate &estimate) {
  os << "HLS estimate (" << (graph.isModel ? "model" : "layer " + graph.layerName) << " top, "
     << estimate.part << ", " << llvm::format("%g", estimate.clockMHz) << " MHz)\n"
     << "From the directives in the IR by formula, not from Vitis HLS (docs/hls.md).\n\n";
  os << llvm::format("%-40s %-15s %6s %9s %8s %12s %7s %10s\n", "stage", "kind", "II",
                     "trits/clk", "add/sub", "ROM bits", "BRAM36", "cycles");
  for (const StageEstimate &stage : estimate.stages)
    os << llvm::format("%-40s %-15s %6s %9s %8lld %12lld %7lld %10lld\n", stage.name.c_str(),
                       stage.kind.c_str(), stage.ii.c_str(),
                       stage.tritsPerClock ? std::to_string(stage.tritsPerClock).c_str() : "-",
                       (long long)stage.adders, (long long)stage.romBits,
                       (long long)stage.bram36, (long long)stage.cycles);

  // Per layer: sums, and the layer's share of one token's critical path.
  struct Group {
    std::string name, ii;
    int64_t adders = 0, luts = 0, romBits = 0, bram36 = 0, end = 0;
  };
  std::vector<Group> groups;
  for (const StageEstimate &stage : estimate.stages) {
    if (groups.empty() || groups.back().name != stage.group)
      groups.push_back({stage.group});
    Group &group = groups.back();
    group.adders += stage.adders;
    group.luts += stage.adderLUTs;
    group.romBits += stage.romBits;
    group.bram36 += stage.bram36;
    group.end = std::max(group.end, stage.finish);
    for (StringRef ii : llvm::split(stage.ii, '/'))
      if (!llvm::is_contained(llvm::split(group.ii, '/'), ii))
        group.ii += (group.ii.empty() ? "" : "/") + ii.str();
  }
  os << "\n"
     << llvm::format("%-16s %8s %12s %7s %6s %14s\n", "layer", "add/sub", "ROM bits", "BRAM36",
                     "II", "path cycles");
  Group total{"total"};
  int64_t previousEnd = 0;
  for (const Group &group : groups) {
    int64_t path = std::max<int64_t>(0, group.end - previousEnd);
    previousEnd = std::max(previousEnd, group.end);
    os << llvm::format("%-16s %8lld %12lld %7lld %6s %14lld\n", group.name.c_str(),
                       (long long)group.adders, (long long)group.romBits, (long long)group.bram36,
                       group.ii.c_str(), (long long)path);
    total.adders += group.adders;
    total.luts += group.luts;
    total.romBits += group.romBits;
    total.bram36 += group.bram36;
  }
  os << llvm::format("%-16s %8lld %12lld %7lld %6s %14lld\n", "total", (long long)total.adders,
                     (long long)total.romBits, (long long)total.bram36, "",
                     (long long)estimate.cyclesPerToken);

  double hz = estimate.clockMHz * 1e6;
  os << "\n"
     << llvm::format("decode: %lld cycles/token = %.1f tokens/s at %g MHz (the stages of a "
                     "token run in dependency order)\n",
                     (long long)estimate.cyclesPerToken, hz / double(estimate.cyclesPerToken),
                     estimate.clockMHz)
     << llvm::format("prefill: %lld cycles/token = %.1f tokens/s if successive steps overlap "
                     "(bound: the slowest stage, %s)\n",
                     (long long)estimate.interval, hz / double(estimate.interval),
                     estimate.slowestStage.c_str());
  if (const Device *device = deviceOf(estimate.part)) {
    bool fits = total.bram36 <= device->bram36;
    os << llvm::format("on-chip ROM: %.2f Mbit in %lld of %lld BRAM36 on %s: %s\n",
                       double(total.romBits) / 1e6, (long long)total.bram36,
                       (long long)device->bram36, device->prefix,
                       fits ? "fits" : "does not fit (weights would have to stream from HBM/DDR)")
       << llvm::format("ternary adders: %lld add/sub units, about %lld LUTs (%.1f%% of %lld)\n",
                       (long long)total.adders, (long long)total.luts,
                       100.0 * double(total.luts) / double(device->luts), (long long)device->luts);
  } else {
    os << llvm::format("on-chip ROM: %.2f Mbit in %lld BRAM36 (no device table for %s)\n",
                       double(total.romBits) / 1e6, (long long)total.bram36, estimate.part.c_str())
       << llvm::format("ternary adders: %lld add/sub units, about %lld LUTs\n",
                       (long long)total.adders, (long long)total.luts);
  }
}

} // namespace tern::hls
