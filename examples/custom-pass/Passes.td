//===- Passes.td - the example plugin's passes -------------*- tablegen -*-===//
#ifndef TERN_EXAMPLE_PLUGIN_PASSES_TD
#define TERN_EXAMPLE_PLUGIN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExamplePruneWeights : Pass<"example-prune-weights", "::mlir::ModuleOp"> {
  let summary = "Zero the small entries of float constants that feed linalg contractions";
  let description = [{
    Magnitude pruning at compile time: in every f32, f16 or bf16
    `arith.constant` used by a linalg op with a reduction loop (a matmul),
    entries with `|w| < threshold * max|w|` become 0. A constant whose other
    values are already in {-s, 0, +s} then becomes ternary, so that
    `tern-eliminate-matmul` removes the matmul. Emits a remark per constant
    with the number of entries it zeroed.
  }];
  let options = [
    Option<"threshold", "threshold", "double", /*default=*/"0.1",
           "entries below threshold * max|w| become zero">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ExampleTritStats : Pass<"example-trit-stats", "::mlir::ModuleOp"> {
  let summary = "Annotate every ternary constant with the fraction of its trits that are zero";
  let description = [{
    Reads each `tern.ternary_constant` in whatever packing it has (through
    tern's own `unpackTrits`) and sets `example.zero_fraction` on it: the
    share of the weights that a ternary accumulate skips. Emits a remark with
    the counts.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

#endif // TERN_EXAMPLE_PLUGIN_PASSES_TD
