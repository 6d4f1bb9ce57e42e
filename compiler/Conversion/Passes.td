//===- Passes.td - tern conversion passes ------------------*- tablegen -*-===//
#ifndef TERN_CONVERSION_PASSES_TD
#define TERN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTernToLinalg : Pass<"convert-tern-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower tern ops to linalg, tensor, scf, arith and math on tensors";
  let description = [{
    The target-independent lowering of every tern op: norms and quantisation
    become `linalg.generic` reductions and elementwise maps, the ternary
    accumulate a reduction over packed trits that only adds and subtracts,
    the MLGRU recurrence an `scf.for` over tokens. `tern.ternary_constant`
    becomes an `arith.constant` of its packed bytes. `tern.bitlinear` must
    have been eliminated (`tern-eliminate-matmul`) and `tern.lower_bounds`
    folded (its input constant) first.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // TERN_CONVERSION_PASSES_TD
