//===- HLSReport.h - resource and speed estimate from directives -*- C++ -*-===//
//
// `ternc --target=hls --report`: what the directives in the IR imply, per
// stage and per layer (integer adders/subtractors, ROM bits, block RAMs,
// initiation intervals, cycles), and per token (cycles, tokens/s at the
// clock of hls.clock_mhz). An estimate by formula, not a synthesis result:
// docs/hls.md lists what it assumes.
//
#ifndef TERN_BACKENDS_HLS_HLSREPORT_H
#define TERN_BACKENDS_HLS_HLSREPORT_H

#include "backends/hls/StageGraph.h"

#include "llvm/Support/raw_ostream.h"

namespace tern::hls {

struct StageEstimate {
  std::string name, kind, group;
  std::string ii;         // the pipelined loops' IIs, e.g. "4/1"
  int64_t tritsPerClock = 0;
  int64_t adders = 0;     // integer adders and subtractors (LUT fabric)
  int64_t adderLUTs = 0;  // their bits
  int64_t romBits = 0;
  int64_t bram36 = 0;
  int64_t cycles = 0;     // from its inputs being complete to its last output
  int64_t finish = 0;     // on the token's critical path
};

struct Estimate {
  std::vector<StageEstimate> stages;
  double clockMHz = 0;
  std::string part;
  int64_t cyclesPerToken = 0; // decode: the critical path of one step
  int64_t interval = 0;       // the slowest stage: prefill's bound if steps overlap
  std::string slowestStage;
};

mlir::FailureOr<Estimate> estimate(mlir::ModuleOp module, const StageGraph &graph);

void printReport(llvm::raw_ostream &os, const StageGraph &graph, const Estimate &estimate);

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_HLSREPORT_H
