//===- Passes.td - CPU backend passes ----------------------*- tablegen -*-===//
#ifndef TERN_BACKENDS_CPU_PASSES_TD
#define TERN_BACKENDS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernCanonicalizeGlobals : Pass<"tern-canonicalize-globals", "::mlir::ModuleOp"> {
  let summary = "Order and name constant globals by what they hold";
  let description = [{
    Runs right after one-shot bufferization, which names the constant
    globals it creates `__constant_<shape>[_<n>]` and places them in the
    order it visits the functions: with function boundaries that order
    comes from a pointer-keyed map (fixed upstream after LLVM 22), so the
    same model compiled to different artifacts from one run to the next.
    The private constant globals named so are placed, and renamed in the
    same scheme, in the order of what they hold: resource-backed values (the
    checkpoint's tensors) by resource key, then the others by their printed
    type and value. Their uses follow the new names.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

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

def TernCPUEarlyDealloc : Pass<"tern-cpu-early-dealloc", "::mlir::func::FuncOp"> {
  let summary = "Free each buffer right after its last use";
  let description = [{
    Runs after the buffer deallocation pipeline, which frees every buffer at
    the end of its block: in a model function, that keeps the intermediate
    buffers of every layer alive until the logits are done (4.5 GB for a
    512-token prefill of a 1.3B model). Each `memref.dealloc` of a
    `memref.alloc` in the same block moves to just after the last op of that
    block that uses the buffer, directly, in a nested region, or through a
    view of it (`ViewLikeOpInterface`). A buffer whose value could flow
    anywhere else (an op other than a view returns a memref from it) stays
    where it was. malloc then reuses the memory layer after layer.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TernCPUApproximateExp : Pass<"tern-cpu-approximate-exp"> {
  let summary = "math.exp as a polynomial (arith ops) that LLVM vectorizes";
  let description = [{
    Rewrites every `math.exp` with upstream's polynomial approximation
    (`populateMathPolynomialApproximationPatterns`, Cody-Waite range
    reduction and a minimax polynomial, within a few ulp of libm's `expf`).
    libm's `expf` is a scalar call that LLVM cannot vectorize; the sigmoids and
    SiLUs of a decode step call it about 12,000 times per layer, which was 7%
    of a 1.3B model's decode time on one thread and more on two (the kernels
    split over threads, this code does not).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

def TernCPUKernelCalls : Pass<"tern-cpu-kernel-calls", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's kernels for the marked linalg ops";
  let description = [{
    Runs on bufferized IR. Every `linalg.generic` that convert-tern-to-linalg
    marked (compiler/Conversion/TernToLinalg/KernelMarkers.h) becomes a call
    of a runtime kernel: a `tern.ternary_accumulate` with i8 activations and
    i32 sums `func.call @tern_kernel_ternary_matmul_<packing>(x, w, out)`, an
    RMS norm's sum of squares (f32 [T, H] -> [T])
    `func.call @tern_kernel_row_sum_of_squares_f32(x, out)`, which sums in the
    reference's (NumPy's pairwise) order. The functions are external, with
    the memref C interface (`llvm.emit_c_interface`), their
    operands cast to `memref<?x?xT, strided<[?, ?], offset: ?>>` so that one
    declaration serves every shape: what convert-linalg-to-std does for a
    `library_call`, except that upstream keeps static sizes in the signature
    and converts every other linalg op too. The function accumulates into its
    last operand, as the generic did. `tern-bind-kernels` later routes the
    call to the runtime.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"];
}

def TernCPUOutlineOps : Pass<"tern-cpu-outline-ops", "::mlir::ModuleOp"> {
  let summary = "Give each linalg op its own function, one per distinct op";
  let description = [{
    Runs on bufferized IR. Every linalg op becomes a call of a private
    function `__tern_op_N` that holds only that op: its operands and the
    values it uses from above become the function's arguments (scalar
    constants too, such as a layer's weight scale; other constants are cloned
    in). Ops that are the same up to their
    operands (the same op in every layer of a model) share one function, and
    the functions are internal and never inlined (`llvm.linkage` internal,
    `passthrough = ["noinline"]`, which convert-func-to-llvm carries over). Why: the importer unrolls the layers into one function, so
    without this LLVM optimises and compiles every layer's loops again and
    compile time grows with the number of layers; with it, it compiles each
    distinct op once. The calls cost a few nanoseconds per op.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"];
}

def TernBindKernels : Pass<"tern-bind-kernels", "::mlir::ModuleOp"> {
  let summary = "Route microkernel calls through slots the runtime fills at load";
  let description = [{
    Runs on the LLVM dialect. Each external declaration
    `_mlir_ciface_tern_kernel_NAME` (made by convert-func-to-llvm for a call
    `tern-cpu-kernel-calls` created) gets a private body that loads a
    function pointer from the global `__tern_kernel_NAME` and the context from
    `__tern_kernel_context` and calls the pointer with the context first, then
    the descriptors. The globals start null; after loading the shared object
    the runtime stores its entry point and its per-model context there
    (runtime/src/kernel_dispatch.h), so the code has no undefined symbols
    beyond libc and libm. The module attribute `tern.kernels` lists the NAMEs,
    for the artifact's manifest.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def TernStridedCopiesToLinalg : Pass<"tern-strided-copies-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Rewrite memref.copy of non-identity layouts into linalg.copy";
  let description = [{
    Runs on bufferized IR, before convert-linalg-to-loops. A `memref.copy`
    whose source or target is not an identity-layout memref (a subview:
    `tensor.insert_slice`, `tensor.concat`, a slice returned from a function)
    would lower to a call of `memrefCopy` from MLIR's runner-utils library,
    which generated code cannot reach; as a `linalg.copy` it becomes loops.
    Identity-layout copies stay `memref.copy` (a `memcpy`).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // TERN_BACKENDS_CPU_PASSES_TD
