//===- Passes.td - CPU backend passes ----------------------*- tablegen -*-===//
#ifndef TERN_BACKENDS_CPU_PASSES_TD
#define TERN_BACKENDS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernExternalizeWeights : Pass<"tern-externalize-weights", "::mlir::ModuleOp"> {
  let summary = "Move constant weights out of the code into the artifact's weights section";
  let description = [{
    Runs on bufferized IR. Every constant `memref.global` of at least
    `min-bytes` bytes gets an offset (a multiple of 64) in one weights
    buffer, recorded on the global as `tern.weight_offset`; its
    `memref.get_global`s become `memref.view`s of a new first argument
    `%weights: memref<?xi8>` that every function now takes (calls pass it
    on). The driver then copies the globals' bytes into the artifact and drops
    them, so the generated code holds no weights.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"256",
           "smaller constants stay in the code">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

#endif // TERN_BACKENDS_CPU_PASSES_TD
