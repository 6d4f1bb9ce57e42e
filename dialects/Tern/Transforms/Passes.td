//===- Passes.td - tern transformation passes --------------*- tablegen -*-===//
#ifndef TERN_TRANSFORMS_PASSES_TD
#define TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernTernarize : Pass<"tern-ternarize", "::mlir::ModuleOp"> {
  let summary = "Ternarise BitLinear latent weights at compile time (absmean)";
  let description = [{
    Replaces the latent float weight of every `tern.bitlinear` whose weight is
    a constant by a `tern.ternary_constant` (packing `none`): `s_w = 1 /
    max(mean|W|, 1e-5)` (the mean taken in f64, `s_w` rounded to f32) and
    `t = clamp(round_half_to_even(W * s_w), -1, 1)` (the product in f32), as
    in docs/model-spec. Weights shared by several BitLinears are ternarised
    once.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernEliminateMatmul : Pass<"tern-eliminate-matmul", "::mlir::ModuleOp"> {
  let summary = "Rewrite every BitLinear into norm, int8 quantize, ternary accumulate, dequantize";
  let description = [{
    `tern.bitlinear %x, %w, %g` with ternary `%w` becomes
    `tern.rms_norm` -> `tern.quantize` -> `tern.ternary_accumulate` ->
    `tern.dequantize`: the projection no longer multiplies, it adds and
    subtracts int8 activations selected by trits. BitLinears whose weight is
    still a float matrix are left alone with a remark (run `tern-ternarize`
    first).
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernPackWeights : Pass<"tern-pack-weights", "::mlir::ModuleOp"> {
  let summary = "Pack ternary constants into a byte layout";
  let description = [{
    Rewrites every `tern.ternary_constant` into the layout named by
    `packing` (see `#tern.packing`), updating the `!tern.trits` type of its
    users. The packing is then part of the IR, never implied.
  }];
  let options = [
    Option<"packing", "packing", "std::string", /*default=*/"\"two_bit\"",
           "target layout: none, two_bit or base3">
  ];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

#endif // TERN_TRANSFORMS_PASSES_TD
