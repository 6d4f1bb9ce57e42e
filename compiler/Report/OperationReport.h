//===- OperationReport.h - operations, bytes and energy per token -*- C++ -*-===//
//
// What ternc --report prints (docs/report.md): for every projection of a
// module after tern-eliminate-matmul and tern-pack-weights, and per layer and
// in total, the parameters, packed bytes, adds/subtracts, the multiplications
// a dense float model would do and this one does not, the bytes read and the
// energy per token of both. Everything is computed from the IR: the tern ops
// (their shapes, their trits, their scales) and the linalg contractions that
// stayed dense.
//
#ifndef TERN_COMPILER_REPORT_OPERATIONREPORT_H
#define TERN_COMPILER_REPORT_OPERATIONREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

/// Counts per token: one row of activations through the projection.
struct ProjectionCosts {
  int64_t parameters = 0;     // weights (trits or dense elements)
  int64_t packedBytes = 0;    // their bytes as stored
  int64_t addsSubtracts = 0;  // adds and subtracts of the ternary form (one per non-zero trit)
  int64_t multiplications = 0;       // what it still multiplies or divides (scales, quantization)
  int64_t denseMultiplications = 0;  // a dense float model's multiplications (one per weight)
  int64_t bytesRead = 0;             // weights and input activations
  int64_t denseBytesRead = 0;        // the same for f32 weights and activations
  double energyPJ = 0;
  double denseEnergyPJ = 0;

  int64_t multiplicationsEliminated() const { return denseMultiplications - multiplications; }
  ProjectionCosts &operator+=(const ProjectionCosts &other);
};

struct Projection {
  std::string name; // the op's name location (model.layers.0.attn.i_proj), else file:line
  bool ternary;     // false: a contraction that stayed dense
  ProjectionCosts costs;
};

struct Layer {
  std::string name; // model.layers.N, or the projection's own name
  std::vector<Projection> projections;
  ProjectionCosts total;
};

struct OperationReport {
  std::vector<Layer> layers;
  ProjectionCosts total;
};

/// Walks the module. Projections whose names contain "layers.N" are grouped
/// into layer "…layers.N"; every other projection is a layer of its own.
OperationReport computeOperationReport(mlir::ModuleOp module);

/// A table per layer and the totals, with the energy table cited.
void printReportText(const OperationReport &report, llvm::raw_ostream &os);
/// The same as JSON (docs/report.md has the schema).
void printReportJSON(const OperationReport &report, llvm::raw_ostream &os);

} // namespace tern

#endif // TERN_COMPILER_REPORT_OPERATIONREPORT_H
