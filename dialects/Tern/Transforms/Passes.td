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
  let summary = "Rewrite BitLinears and matmuls against ternary constants into add/subtract-only form";
  let description = [{
    **BitLinear.** `tern.bitlinear %x, %w, %g` with ternary `%w` becomes
    `tern.rms_norm` -> `tern.quantize` -> `tern.ternary_accumulate` ->
    `tern.dequantize`: the projection no longer multiplies, it adds and
    subtracts int8 activations selected by trits. BitLinears whose weight is
    still a float matrix are left alone with a remark (run `tern-ternarize`
    first).

    **Any linalg contraction.** `linalg.matmul`, `linalg.matvec`,
    `linalg.vecmat`, `linalg.batch_matmul` and every `linalg.generic` that
    multiplies its two inputs and accumulates (`out + x * w`, with
    sign-extensions or float extensions of the inputs), on tensors, whose
    weight operand (either input) is an `arith.constant` with values in
    `{-s, 0, +s}`, become `tern.ternary_accumulate ... scale(s)` on a
    `[T, K]` view of the activation and `[N, K]` trits (a
    `tern.ternary_constant` of packing `none`), plus the transposes and
    reshapes that give the result its layout back and the add of the init
    when it is not zero. Float results equal the matmul's up to the order of
    the float additions (a sum of +/-x, times s once); integer results are
    identical bit for bit (wrapping arithmetic). Loops indexed by activation,
    weight and result are batch loops: one accumulate per slice, at most 64.

    Every contraction left alone gets a remark that says why: no constant
    operand, a constant that is not ternary (without the option below), an
    unsigned or integer/float-mixing body, memref operands, loops that are
    not batch, row, column or reduction loops.

    Two opt-ins trade exactness for speed or reach; each emits a remark per
    op with the relative L2 error it introduced, measured on 16 seeded
    standard-normal activation rows:
    * `quantize-activations`: f32 contractions quantize their activations
      to int8 per row (absmax, as `tern.quantize` / docs/model-spec) and
      accumulate in i32, then `tern.dequantize`.
    * `ternarize-float-weights`: float constants that are not ternary are
      ternarized with absmean (`s_w = 1 / max(mean|W|, 1e-5)`,
      `t = clamp(round(W * s_w), -1, 1)`, `scale = 1 / s_w`).
  }];
  let options = [
    Option<"quantizeActivations", "quantize-activations", "bool", /*default=*/"false",
           "quantize f32 activations to int8 per row (absmax) before accumulating">,
    Option<"ternarizeFloatWeights", "ternarize-float-weights", "bool", /*default=*/"false",
           "ternarize float constants that are not ternary (absmean)">
  ];
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
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
           "target layout: none, two_bit, base3, two_bit_tiled or base3_tiled">
  ];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernSpecializeCalls : Pass<"tern-specialize-calls", "::mlir::ModuleOp"> {
  let summary = "Inline calls that erase static sizes, with the sizes made static";
  let description = [{
    A model's decode step is its prefill with one token: the importer writes
    `@tern_decode` as a call of `@tern_prefill` whose token count is cast to a
    dynamic size. A backend that wants kernels for the exact shapes of the
    step (the CUDA backend fuses the whole per-token work between two matrix
    products into one kernel, which needs static sizes) runs this pass: every
    `func.call` whose tensor operands come from `tensor.cast`s of static
    shapes is replaced by a copy of the callee's body in which each dynamic
    dimension takes the one static size that the casts erased. Only callees
    with a single dynamic size are specialized (every erased dimension must
    have the same static size, and every dynamic dimension in the body is
    that size); other calls are left alone with a remark. The callee stays
    (other callers may use it).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::tensor::TensorDialect"];
}

def TernDedupeComputations : Pass<"tern-dedupe-computations", "::mlir::ModuleOp"> {
  let summary = "Compute equal values once, keeping independent ops' destinations apart";
  let description = [{
    Runs on linalg on tensors, before bufferization. Every BitLinear
    normalizes its own input, so the three projections of a layer's recurrence
    compute the same sum of squares three times (and any other computation
    can repeat the same way). Common-subexpression elimination merges them:
    the same computation on the same values gives the same value, so the
    result is unchanged, bit for bit. It would also merge the `tensor.empty`
    destinations and the `linalg.fill` initial values that independent ops
    start from, and one-shot bufferization would then place those ops in one
    shared buffer, making independent ops overwrite each other's inputs (they
    could no longer run side by side or in any order). So after the merge,
    every further use of a `tensor.empty` or a tensor `linalg.fill` gets a
    copy of its own, placed just before its user.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

#endif // TERN_TRANSFORMS_PASSES_TD
