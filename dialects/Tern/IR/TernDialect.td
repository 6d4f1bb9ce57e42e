//===- TernDialect.td - the ternary dialect ----------------*- tablegen -*-===//
#ifndef TERN_DIALECT_TD
#define TERN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::mlir::tern";
  let summary = "Ternary-weight (MatMul-free) language models";
  let description = [{
    The `tern` dialect has two levels. The graph level mirrors a MatMul-free LM
    (HGRNBit): `tern.embedding`, `tern.rms_norm`, `tern.bitlinear` with its
    latent float weight and its own norm weight, `tern.forget_gate` with the
    layer's lower bound, the `tern.mlgru` recurrence, `tern.swish_gate_norm`
    and `tern.glu`. The matmul-free level is what `tern-eliminate-matmul`
    lowers every BitLinear to: `tern.quantize` (int8 absmax),
    `tern.ternary_accumulate` (a sum of +/-q over trits: adds and subtracts
    only) and `tern.dequantize`. Ternary weights are `!tern.trits` values made
    by `tern.ternary_constant`, whose packing is part of the type.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // TERN_DIALECT_TD
