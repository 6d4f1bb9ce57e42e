//===- TernOps.td - tern operations ------------------------*- tablegen -*-===//
#ifndef TERN_OPS_TD
#define TERN_OPS_TD

include "dialects/Tern/IR/TernTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def Tern_F32Tensor : RankedTensorOf<[F32]>;
def Tern_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Graph level
//===----------------------------------------------------------------------===//

def Tern_EmbeddingOp : Tern_Op<"embedding", [Pure]> {
  let summary = "Gathers rows of an embedding table";
  let description = [{
    `result[t, :] = float32(table[ids[t], :])`. The table may be stored in
    any float type (bf16 as in released checkpoints); the result is f32.
    Ids outside `[0, V)` are undefined behaviour (the runtime rejects them).

    ```mlir
    %h = tern.embedding %table[%ids] : tensor<32000x1024xbf16>, tensor<?xi32> -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins Tern_FloatTensor:$table, RankedTensorOf<[I32]>:$ids);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_RMSNormOp : Tern_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalisation over the last dimension";
  let description = [{
    `y = x * rsqrt(mean(x^2) + epsilon) * weight`, over the last dimension,
    in f32.

    ```mlir
    %y = tern.rms_norm %x, %w eps(1.0e-06) : tensor<?x1024xf32>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_F32Tensor:$weight, F32Attr:$epsilon);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` `(` $epsilon `)` attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Tern_BitLinearOp : Tern_Op<"bitlinear", [Pure]> {
  let summary = "A BitLinear projection: norm, int8 activations, ternary weights";
  let description = [{
    The projection of the MatMul-free LM. For input `x: [T, K]`, weight
    `W: [N, K]` and norm weight `g: [K]`:
    1. `y = rms_norm(x, g, epsilon)`;
    2. per row, `s_x = 127 / max(max|y|, 1e-5)`, `q = clamp(round(y * s_x))` (int8);
    3. `s_w = 1 / max(mean|W|, 1e-5)`, `t = clamp(round_even(W * s_w), -1, 1)`;
    4. `result = (q . t^T) / (s_x * s_w)`.

    Before `tern-ternarize` the weight is the latent float matrix of the
    checkpoint; after it, a `!tern.trits` value whose `tern.ternary_constant`
    carries `s_w`.

    ```mlir
    %o = tern.bitlinear %x, %w, %g eps(1.0e-06)
        : tensor<?x1024xf32>, tensor<2816x1024xbf16>, tensor<1024xf32> -> tensor<?x2816xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input,
                       AnyTypeOf<[Tern_FloatTensor, Tern_TritsType]>:$weight,
                       Tern_F32Tensor:$normWeight, F32Attr:$epsilon);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $normWeight `eps` `(` $epsilon `)` attr-dict `:`
    type($input) `,` type($weight) `,` type($normWeight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_LowerBoundsOp : Tern_Op<"lower_bounds", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "The per-layer forget-gate lower bounds of HGRN";
  let description = [{
    From the raw `[L, H]` parameter: `lb = softmax(raw, axis 0)`, then
    `lb = cumsum(lb, axis 0) - lb[0]`, so that layer 0 has no lower bound.
    Folds when the input is a constant (the usual case).
  }];
  let arguments = (ins Tern_F32Tensor:$input);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_ForgetGateOp : Tern_Op<"forget_gate", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Sigmoid forget gate with an optional lower bound";
  let description = [{
    `f = sigmoid(z)`; with a lower bound `lb: [H]`, `f = lb + (1 - lb) * f`.

    ```mlir
    %f = tern.forget_gate %z lower_bound %lb : tensor<?x1024xf32>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input, Optional<Tern_F32Tensor>:$lowerBound);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`lower_bound` $lowerBound^)? attr-dict `:` type($input) (`,` type($lowerBound)^)?
  }];
  let hasVerifier = 1;
}

def Tern_MLGRUOp : Tern_Op<"mlgru", [Pure, AllTypesMatch<["input", "forget", "hidden"]>,
                                      AllTypesMatch<["initialState", "finalState"]>]> {
  let summary = "The MatMul-free linear gated recurrence (MLGRU)";
  let description = [{
    For input projection `i: [T, H]`, forget gate `f: [T, H]` (after the
    sigmoid and lower bound) and initial state `h0: [H]`:
    `a_t = silu(i_t) * (1 - f_t)`, `h_t = f_t * h_{t-1} + a_t`, elementwise
    over H and sequential over t. Results: all `h_t` as `[T, H]` and the final
    state `h_{T-1}` (`h0` when T = 0).

    ```mlir
    %h, %hT = tern.mlgru %i, %f, %h0 : tensor<?x1024xf32>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_F32Tensor:$forget, Tern_F32Tensor:$initialState);
  let results = (outs Tern_F32Tensor:$hidden, Tern_F32Tensor:$finalState);
  let assemblyFormat = [{
    $input `,` $forget `,` $initialState attr-dict `:` type($input) `,` type($initialState)
  }];
  let hasVerifier = 1;
}

def Tern_MLGRUStepOp : Tern_Op<"mlgru_step", [Pure, AllTypesMatch<["input", "forget", "previous", "result"]>]> {
  let summary = "One MLGRU step of several independent sequences";
  let description = [{
    The batched form of `tern.mlgru`: row `b` of `i`, `f` and `h_prev` (all
    `[B, H]`) belongs to sequence `b`, which takes one step from its own
    previous state: `a_b = silu(i_b) * (1 - f_b)`, `h_b = f_b * h_prev_b + a_b`.
    The result is the new hidden state of every sequence, which is also its
    recurrent state. With B = 1 it computes what `tern.mlgru` computes for one
    token, with the same float operations in the same order.

    ```mlir
    %h = tern.mlgru_step %i, %f, %hprev : tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_F32Tensor:$forget, Tern_F32Tensor:$previous);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $forget `,` $previous attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Tern_SwishGateNormOp : Tern_Op<"swish_gate_norm", [Pure, AllTypesMatch<["gate", "hidden", "result"]>]> {
  let summary = "RMS-normalised gate times swish of the recurrence output";
  let description = [{
    `result = rms_norm(gate, weight, epsilon) * hidden * sigmoid(hidden)`.

    ```mlir
    %o = tern.swish_gate_norm %g, %h, %w eps(1.0e-06) : tensor<?x1024xf32>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$gate, Tern_F32Tensor:$hidden, Tern_F32Tensor:$weight, F32Attr:$epsilon);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $gate `,` $hidden `,` $weight `eps` `(` $epsilon `)` attr-dict `:` type($gate) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Tern_GLUOp : Tern_Op<"glu", [Pure]> {
  let summary = "Gated linear unit: silu(first half) * second half";
  let description = [{
    For `x: [T, 2I]`, `result = silu(x[:, :I]) * x[:, I:]`.

    ```mlir
    %y = tern.glu %gu : tensor<?x5632xf32> -> tensor<?x2816xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matmul-free level
//===----------------------------------------------------------------------===//

def Tern_TernaryConstantOp : Tern_Op<"ternary_constant", [Pure]> {
  let summary = "A ternary weight: packed trits and the weight scale s_w";
  let description = [{
    `value` holds the trits in the byte layout of the result's packing (for
    `none`, one i8 in {-1, 0, 1} per trit, shape `[N, K]`; otherwise the
    packed storage shape). `scale` is `s_w = 1 / max(mean|W|, 1e-5)` of the
    latent weight it came from: ternarising is not idempotent, so the scale
    travels with the trits.

    ```mlir
    %w = tern.ternary_constant dense<[[1, 0, -1]]> : tensor<1x3xi8> scale(2.5) : !tern.trits<1x3, none>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, F32Attr:$scale);
  let results = (outs Tern_TritsType:$result);
  let assemblyFormat = "$value `scale` `(` $scale `)` attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def Tern_QuantizeOp : Tern_Op<"quantize", [Pure]> {
  let summary = "Per-row int8 absmax quantisation of activations";
  let description = [{
    For `y: [T, K]`: `scale[t] = 127 / max(max_k |y[t, k]|, 1e-5)` and
    `result[t, k] = clamp(round_half_away_from_zero(y[t, k] * scale[t]), -128, 127)`.

    ```mlir
    %q, %s = tern.quantize %y : tensor<?x1024xf32> -> tensor<?x1024xi8>, tensor<?xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input);
  let results = (outs RankedTensorOf<[I8]>:$result, Tern_F32Tensor:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Tern_TernaryAccumulateOp : Tern_Op<"ternary_accumulate", [Pure]> {
  let summary = "Sum of +/- activations selected by trits (no multiplies), optionally scaled";
  let description = [{
    For `x: [T, K]` and trits `w: [N, K]`:
    `result[t, n] = scale * sum_k (w[n,k] == 1 ? x[t,k] : w[n,k] == -1 ? -x[t,k] : 0)`,
    accumulated in the result's element type. This is the matmul that a
    ternary weight would do, with adds and subtracts only, and at most one
    multiplication per output (by `scale`, when given).

    The input and result are both integers or both floats; the result may be
    wider than the input (integers are sign-extended, floats extended exactly)
    and accumulates in its own type, as `linalg.matmul` does. Integer
    accumulation wraps, so an integer matmul against a ternary constant is
    reproduced bit for bit. `scale`, when present, has the result's element
    type; without it the sum is returned as is (a BitLinear's
    `tern.dequantize` applies the scales instead).

    ```mlir
    // BitLinear: int8 activations, i32 sums.
    %acc = tern.ternary_accumulate %q, %w : tensor<?x1024xi8>, !tern.trits<2816x1024, two_bit> -> tensor<?x2816xi32>
    // A linalg.matmul against a constant with values in {-0.5, 0, 0.5}.
    %y = tern.ternary_accumulate %x, %w scale(5.000000e-01 : f32) : tensor<?x64xf32>, !tern.trits<32x64, two_bit> -> tensor<?x32xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnySignlessInteger, AnyFloat]>:$input,
                       Tern_TritsType:$weight,
                       OptionalAttr<TypedAttrInterface>:$scale);
  let results = (outs RankedTensorOf<[AnySignlessInteger, AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`scale` `(` $scale^ `)`)? attr-dict `:` type($input) `,`
    qualified(type($weight)) `->` type($result)
  }];
  let builders = [
    // Without a scale, as a BitLinear uses it.
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input, "::mlir::Value":$weight), [{
      build($_builder, $_state, result, input, weight, ::mlir::TypedAttr());
    }]>
  ];
  let hasVerifier = 1;
}

def Tern_DequantizeOp : Tern_Op<"dequantize", [Pure]> {
  let summary = "Integer accumulators back to float";
  let description = [{
    `result[t, n] = float(acc[t, n]) / (scale[t] * weight_scale)` with
    `scale` the activation scales of `tern.quantize` and `weight_scale` the
    `s_w` of the trits.

    ```mlir
    %o = tern.dequantize %acc, %s weight_scale(2.5) : tensor<?x2816xi32>, tensor<?xf32> -> tensor<?x2816xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$input, Tern_F32Tensor:$scale, F32Attr:$weightScale);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `weight_scale` `(` $weightScale `)` attr-dict `:`
    type($input) `,` type($scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TERN_OPS_TD
