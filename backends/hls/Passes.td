//===- Passes.td - HLS backend passes ----------------------*- tablegen -*-===//
//
// The HLS decisions (which function is the top, its ports, the dataflow
// stages and their streams, pipeline II, unrolling, array partitioning,
// storage and operator binding) are attributes these passes set on the packed
// tern IR. The emitter (HLSEmitter.cpp) only prints them. The attribute names
// and the loop/variable names they refer to are listed in HLSAttrs.h and
// docs/hls.md.
//
#ifndef TERN_BACKENDS_HLS_PASSES_TD
#define TERN_BACKENDS_HLS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernHLSTarget : Pass<"tern-hls-target", "::mlir::ModuleOp"> {
  let summary = "Record the FPGA part and clock the HLS project is made for";
  let description = [{
    Sets the module attributes `hls.part` (the Vitis part name) and
    `hls.clock_mhz` (the target clock). The emitter writes them into
    `run_hls.tcl` (`set_part`, `create_clock`); the estimate
    (`ternc --report`) turns cycles into tokens per second at this clock.

    ```mlir
    module attributes {hls.clock_mhz = 3.000000e+02 : f64, hls.part = "xcu280-fsvh2892-2L-e"}
    ```
  }];
  let options = [
    Option<"part", "part", "std::string", /*default=*/"\"xcu280-fsvh2892-2L-e\"",
           "Vitis part name (set_part)">,
    Option<"clockMHz", "clock-mhz", "double", /*default=*/"300.0",
           "target clock in MHz (create_clock)">
  ];
}

def TernHLSExtractLayer : Pass<"tern-hls-extract-layer", "::mlir::ModuleOp"> {
  let summary = "Keep one BitLinear as @tern_layer, for synthesising a layer alone";
  let description = [{
    Finds the `tern.ternary_accumulate` whose weight is named by `layer` (the
    checkpoint tensor without `.weight`, e.g. `model.layers.0.attn.i_proj`;
    empty: the first one in @tern_prefill) and builds

    ```mlir
    func.func @tern_layer(%x: tensor<?xKxf32>) -> tensor<?xNxf32> {
      %y = tern.rms_norm %x, %g eps(...)          // the BitLinear's own norm
      %q, %s = tern.quantize %y
      %acc = tern.ternary_accumulate %q, %w
      %o = tern.dequantize %acc, %s weight_scale(...)
      return %o
    }
    ```

    from the ops that feed it, then erases every other function. The
    quantize input must come from a `tern.rms_norm` (what
    `tern-eliminate-matmul` produces).
  }];
  let options = [
    Option<"layer", "layer", "std::string", /*default=*/"\"\"",
           "weight name of the BitLinear to keep (default: the first)">
  ];
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::func::FuncDialect"];
}

def TernHLSInterfaces : Pass<"tern-hls-interfaces", "::mlir::ModuleOp"> {
  let summary = "Choose the HLS top function and its ports";
  let description = [{
    `top=model` marks @tern_prefill, `top=layer` marks @tern_layer with
    `hls.top` (the kind of top the emitter prints around it) and lists its
    ports in `hls.interface`, one dictionary per `#pragma HLS INTERFACE`:

    - model: `ids` (token ids), `state` (the [L, H] recurrent state, read at
      the start and written at the end) and `logits` ([T, V]) are AXI
      masters on separate bundles with `offset=slave`; `num_tokens` and the
      block control are AXI-lite. `hls.max_tokens` bounds the loop over
      tokens (and sizes the co-simulation depth of `ids` and `logits`).
    - layer: the input row `x` and output row `y` are AXI streams; the block
      control is AXI-lite.

    ```mlir
    func.func @tern_prefill(...) attributes {hls.top = "model", hls.max_tokens = 4096 : i64,
        hls.interface = [{bundle = "gmem0", depth = 4096 : i64, mode = "m_axi", offset = "slave", port = "ids"}, ...]}
    ```
  }];
  let options = [
    Option<"top", "top", "std::string", /*default=*/"\"model\"",
           "model (the whole decode step) or layer (@tern_layer)">,
    Option<"maxTokens", "max-tokens", "int64_t", /*default=*/"4096",
           "most tokens one call of the model top processes">
  ];
}

def TernHLSDataflow : Pass<"tern-hls-dataflow", "::mlir::ModuleOp"> {
  let summary = "Make every op of the top function a dataflow stage with streams";
  let description = [{
    On the function marked `hls.top`: sets `hls.dataflow` (the function body
    becomes a `#pragma HLS DATAFLOW` region), names every op that computes
    (tern ops other than `tern.ternary_constant`, and `arith.addf`) with
    `hls.stage` (a C identifier from the weight it uses or the layer it is
    in), and gives each tensor result the depth of the `hls::stream`s that
    carry it in `hls.stream_depth` (one entry per result; 0 for a result that
    is not streamed, the recurrent state). A value read by several stages is
    written to one stream per reader; those streams hold a whole row, so a
    reader that waits for another input first cannot block its producer
    (fork-join deadlock); every other stream has depth 2.

    Fails, naming the op, on an op that no stage function exists for.
  }];
}

def TernHLSDirectives : Pass<"tern-hls-directives", "::mlir::ModuleOp"> {
  let summary = "Pipeline, unroll, partition and binding directives per stage";
  let description = [{
    For every `hls.stage` op, sets the directives of the loops and arrays its
    stage function has (names in HLSAttrs.h):

    - `hls.loops`: per loop label, `pipeline_ii` and/or `unroll` (0 means
      complete). Element loops get II=1; a loop that adds floats in order
      (the RMS sum of squares) gets II=`float-add-latency`, because the
      next addition needs the previous sum and the order is part of the
      numerics (docs/model-spec.md).
    - on `tern.ternary_accumulate`: `hls.bytes_per_cycle` (packed trit bytes
      read per clock, from `lanes` trits per clock), `hls.acc_bits` (the
      accumulator width that holds every partial sum exactly: 128*K),
      `hls.array_partition` of the trit ROM and the activation buffer so one
      clock reads `bytes_per_cycle` bytes, `hls.bind_storage` of the trits as
      a block-RAM ROM, and `hls.bind_op` of the accumulator's adders to
      fabric (LUTs, not DSPs).
    - on `tern.embedding`: the table as a block-RAM ROM.
    - on the top function: `hls.loops` for the state copy and logits loops.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"64",
           "trits each ternary accumulate adds per clock">,
    Option<"floatAddLatency", "float-add-latency", "int64_t", /*default=*/"4",
           "cycles of one single-precision add at the target clock">
  ];
}

#endif // TERN_BACKENDS_HLS_PASSES_TD
