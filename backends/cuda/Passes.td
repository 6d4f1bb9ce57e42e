//===- Passes.td - CUDA backend passes ---------------------*- tablegen -*-===//
//
// The passes that take bufferized tern IR (linalg on memrefs, weights in one
// device buffer) to GPU kernels. docs/cuda.md shows where each one runs.
//
#ifndef TERN_BACKENDS_CUDA_PASSES_TD
#define TERN_BACKENDS_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernGPUHostBuffers : Pass<"tern-gpu-host-buffers", "::mlir::func::FuncOp"> {
  let summary = "Put the host function's buffers in device memory";
  let description = [{
    Runs on bufferized host functions, before any loop is mapped to the GPU.
    Every `memref.alloc` becomes a `gpu.alloc` (plain device memory, never
    managed or host-shared memory) and every `memref.dealloc` a `gpu.dealloc`,
    so intermediate tensors, and the results the function returns, live on
    the device. A `memref.copy` would run on the host and read device
    memory, so it becomes a `linalg.copy`, which later passes turn into a
    kernel like any other linalg op. A `memref.alloca` or `memref.copy` inside
    a `gpu.launch` is left alone.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::linalg::LinalgDialect"];
}

def TernGPUTernaryMatvec : Pass<"tern-gpu-ternary-matvec", "::mlir::ModuleOp"> {
  let summary = "A warp per output row for the ternary accumulate on packed trits";
  let description = [{
    Matches the `linalg.generic` that `convert-tern-to-linalg` makes of
    `tern.ternary_accumulate` (after bufferization): `out[t, n] += q[t, k] *
    trit(w[n, k / per])`, i8 activations, packed i8 weights in the
    `two_bit` layout (four trits a byte, code = trit + 1), i32 sums. Each
    such op becomes a `gpu.launch` in which each warp computes its rows:
    its 32 lanes read a row of packed weights a 32-bit word (16 trits) at a
    time (consecutive lanes, consecutive words; four words a lane in the loop
    that streams rows too long to load ahead), expand each word into four
    bytes of trit codes per bit pair, and accumulate with the byte dot
    product `dp4a` (an exact integer sum of the activations times 0, 1 or
    2, from which the sum of the activations is subtracted:
    `sum(q * (code - 1))`); the lanes then add each row's sums with one
    `redux.sync` (exact: integers). A warp takes `rows-per-warp` consecutive rows: each lane loads
    its word of every row before any arithmetic (more loads in flight), the
    activations once for all of them, and lane r finishes row r (the store
    and the fused elementwise ops that follow). Rows whose byte count is not
    a multiple of 4, other packings and other shapes keep the generic
    lowering.
  }];
  let options = [
    Option<"warpsPerBlock", "warps-per-block", "int64_t", /*default=*/"8",
           "warps per thread block">,
    Option<"rowsPerWarp", "rows-per-warp", "int64_t", /*default=*/"4",
           "output rows per warp (a single token's product takes one under 2048 rows and two "
           "under 8192): each lane loads a piece of every row before it does any arithmetic, and "
           "loads the activations once for all of them">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "a product of several tokens (prefill, batch decode) whose rows are a multiple of "
           "16 and columns of 32 runs on the tensor cores (mma.sync m16n8k32, u8 trit codes "
           "times s8 activations, sm_80 and later): a warp takes 16 rows and 32 tokens">,
    Option<"dependentLaunch", "dependent-launch", "bool", /*default=*/"false",
           "sm_90 programmatic dependent launch: each lane loads all of its weights (rows of up "
           "to 32 words per lane), then waits for the kernels before it "
           "(`griddepcontrol.wait`), then reads the activations; longer rows wait first">,
    Option<"stageActivations", "stage-activations", "bool", /*default=*/"true",
           "with dependent launch, each block copies the token's activations into shared "
           "memory once after the wait, instead of every warp reading them from L2: one copy "
           "per block instead of one per warp (kernels whose blocks all have rows, activations "
           "up to 16 KiB); for rows long enough, the block also adds up sum(q) once">,
    Option<"prologueBlocks", "prologue-blocks", "int64_t", /*default=*/"0",
           "with dependent launch and staged activations, a single token's product takes at "
           "most this many blocks (divided among the products that neither reads the other's "
           "result, which tern-gpu-merge-launches makes one kernel), of 8 to 32 warps, when a "
           "block shape fits (rows a multiple of the block's, at most 32 words of weights a "
           "lane), and is marked so that tern-gpu-fuse-prologues can run the single-block "
           "kernel before it in each of its blocks; 0: off">,
    ListOption<"fewTokenFunctions", "few-token-functions", "std::string",
               "functions whose products take a few tokens a call (batch decode: one a "
               "sequence): their tensor-core kernels load all of a lane's weights for rows of up "
               "to 8,192 columns before the wait, not only those of rows up to 2,560, and a "
               "block whose tokens fill only its first tile of 8 runs a copy of the loops that "
               "loads and multiplies that tile alone">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def TernGPUFuseElementwise : Pass<"tern-gpu-fuse-elementwise"> {
  let summary = "Linalg elementwise fusion that keeps the ternary accumulates whole";
  let description = [{
    Upstream's elementwise fusion of linalg ops on tensors (a producer with
    one use is folded into its consumer), except into the generic of a
    `tern.ternary_accumulate` (marked by convert-tern-to-linalg): with static
    shapes (a decode step) upstream's pass folds the int8 quantization into
    it, and `tern-gpu-ternary-matvec` then no longer sees an accumulate over
    int8 activations. The quantization stays a separate op, which
    `tern-gpu-block-fusion` runs with the rest of the small ops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::affine::AffineDialect"];
}

def TernGPUSplitEpilogues : Pass<"tern-gpu-split-epilogues", "::mlir::func::FuncOp"> {
  let summary = "Split off a product's own part of an op that combines two sibling products";
  let description = [{
    An elementwise `linalg.generic` (on tensors) that reads the results of two
    matrix products neither of which depends on the other (the recurrence
    step reads the input and the forget projections) cannot join either
    product's epilogue, since the products run side by side. The part of its
    body that reads only one product's result (and values no product
    computes), when exactly one of its values is used by the rest, becomes a
    generic of its own right after that product, and the rest reads its
    result: `tern-gpu-ternary-matvec` then evaluates that part (the input
    projection's dequantization and silu) in the product's epilogue on every
    multiprocessor. The operations and their order are unchanged.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def TernGPUMergeLaunches : Pass<"tern-gpu-merge-launches", "::mlir::func::FuncOp"> {
  let summary = "One kernel for consecutive independent kernels of the same block shape";
  let description = [{
    A decode step runs the input, forget and gate projections of a layer one
    after the other: three matrix-vector kernels that read the same kind of
    input and write different outputs. Each is too small to reach the
    memory's speed on its own (a kernel ramps up and drains in a few
    microseconds). This pass merges each sequence of consecutive
    `gpu.launch` ops (only allocations, views and constants between them)
    that have the same constant block size, the same workgroup buffers,
    constant grid sizes along x, one block along z and the same size along y
    (constant, or known equal at run time: the same pure arithmetic of the
    sizes of buffers allocated with one size, as each product of a prefill
    computes its blocks of tokens from its own input), and that neither read
    nor write what another of them writes: one launch whose grid along x is
    the sum of theirs, in which block b runs the body of the kernel whose
    range of blocks holds b, with its block index made relative to that
    range.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def TernGPUBlockFusion : Pass<"tern-gpu-block-fusion", "::mlir::func::FuncOp"> {
  let summary = "One single-block kernel for each run of small ops between matrix products";
  let description = [{
    A decode step does little besides its matrix products: between two of
    them lie norms, quantization, gates and the recurrence over one row of a
    few thousand elements, which the other passes give one kernel each (a
    2.7B model's step had about 40 kernels per layer, each costing a few
    microseconds of launch and drain for a few kilobytes of work). This pass
    puts each maximal run of such ops into one `gpu.launch` of a single block:
    its threads run the ops in order, each all-parallel op split over the
    threads (iteration l in thread l % block-size), with a `gpu.barrier`
    only before an op that touches memory another thread may have touched
    since the last one (an element read or written through the same map
    over the same range is the same thread's, and the value it stored is
    used from its registers instead of loaded again), each reduction (the shapes
    `tern-gpu-row-reductions` takes, at most `max-outputs` outputs) combined
    over the block. A run is a sequence of linalg ops on memrefs of static
    shape with at most `max-elements` iterations each; allocations, views and
    constants between them stay before the kernel and deallocations move
    after it; any other op (a matrix-product kernel, a call) ends the run.
    Runs of fewer than two ops are left to the other passes.

    With `row-blocks`, runs of ops over rows of a count known only at run time
    (a prefill's tokens, a batch's sequences) are taken too, one block per row:
    an op qualifies when its first loop is parallel and indexes the first
    dimension of each operand it reads per row (and of its output) and nothing
    else, every other size is static, and its body neither reads memory nor
    asks for the row index. Each such run becomes a kernel of as many blocks as
    rows, in which block t runs the ops on row t exactly as a single-block
    kernel runs them on a decode step's one row (so a row's results are the
    same bit for bit). Row counts are known equal when the ops of a run share
    them through their operands (an op's operands have one row count).
    Without it, ops with dynamic shapes are never taken.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"1024",
           "most threads of a block (a multiple of 32, at most 1024); a kernel takes fewer "
           "when its largest op then needs as many rounds with fewer idle threads">,
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"65536",
           "largest iteration space of an op that joins a run">,
    Option<"maxOutputs", "max-outputs", "int64_t", /*default=*/"8",
           "most outputs of a reduction that joins a run (each is a block-wide reduction)">,
    Option<"dependentLaunch", "dependent-launch", "bool", /*default=*/"false",
           "programmatic dependent launch (sm_90): each kernel first loads its weights "
           "(constant inputs) into registers and prefetches its other inputs of at most "
           "64 KiB into L2, and only then waits for the kernel before it">,
    Option<"rowBlocks", "row-blocks", "bool", /*default=*/"false",
           "also fuse runs of ops over a dynamic number of rows (prefill, batch decode): "
           "one block per row">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::affine::AffineDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect"];
}

def TernGPUFusePrologues : Pass<"tern-gpu-fuse-prologues", "::mlir::func::FuncOp"> {
  let summary = "Run a single-block kernel in every block of the product after it";
  let description = [{
    A decode step's single-block kernels (`tern-gpu-block-fusion`) normalize
    and quantize the input of the matrix product after them. For a product
    marked by `tern-gpu-ternary-matvec{prologue-blocks}` (at most one block
    per multiprocessor, every thread waiting at one place), with the same
    block size as the single-block kernel just before it (only allocations,
    deallocations and pure ops between them), this pass puts that kernel's
    body in every block of the product, where the product waits for the
    kernels before it (`griddepcontrol.wait`): the product's weights are
    loaded first, then the kernel's own inputs, one wait, the kernel's work,
    a barrier, then the product's work. What the kernel wrote only for the
    product (the int8 activations, their scale) lives in the block's shared
    memory instead of global memory; what it wrote for later kernels, block
    0 alone writes. Left alone: a product that writes what the kernel reads
    or writes, a buffer that both the product and a later op read, a kernel
    that reads what it writes for later kernels, and fusions past 48 KiB of
    shared memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def TernGPURowReductions : Pass<"tern-gpu-row-reductions", "::mlir::func::FuncOp"> {
  let summary = "One thread block per output of a reducing linalg.generic";
  let description = [{
    A `linalg.generic` (on memrefs) whose innermost loop is its only reduction
    and whose body combines each element into the output with one
    associative operation (`arith.addf`, `addi`, `maximumf`, `minimumf`,
    `maxnumf`, `minnumf`, `maxsi`, `minsi`) becomes a `gpu.launch` with one
    block per output element: the block's threads take strided elements of
    the reduced row, combine them privately, then across the warp with
    `gpu.shuffle` and across warps through workgroup memory; thread 0
    combines the total into the output. The rest of the body is cloned per
    element, so the op's meaning is kept except for the order of the
    combination (float sums are reassociated). Left for the generic
    lowering: several outputs or reductions, element types other than f32
    and i32.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"1024",
           "threads per block (a multiple of 32, at most 1024); decode reduces one row, so the "
           "whole row is split over as many threads as a block has">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TernGPUInterchangeScans : Pass<"tern-gpu-interchange-scans", "::mlir::func::FuncOp"> {
  let summary = "A recurrence over the tokens as one kernel: threads over the elements";
  let description = [{
    Prefill computes the MLGRU recurrence `h_t = f_t * h_{t-1} + a_t` as an
    `scf.for` over the tokens whose body runs elementwise ops (rank-1
    `linalg.generic` with identity maps, `linalg.copy`) on row t of rank-2
    buffers (`memref.subview` at the induction variable) and on buffers
    defined outside the loop (the state). Lowered as it is, that is two
    kernels and a host synchronisation per token. Since every op touches
    element j of each buffer only, the loops interchange: this pass replaces
    such a loop with an `scf.parallel` over the elements (a thread each, once
    mapped to the GPU) whose body runs the tokens in order. A buffer of the
    whole row that the loop writes is carried in a register from token to
    token and stored once at the end; one it only reads is loaded once. The
    tokens go `unroll` at a time, the rows they read loaded first (no token
    writes a row another reads), then a remainder loop one at a time. The
    same operations run in the same order for each element, so the results
    are bit-identical. A loop is left alone when its step is not 1, it yields
    values, its body holds anything else, a row is not at the induction
    variable, or two accesses may share memory with one of them written
    (`mayAlias`: views of one buffer, an argument and another argument).
  }];
  let options = [
    Option<"unroll", "unroll", "int64_t", /*default=*/"16",
           "tokens per round of the interchanged loop, their rows loaded first">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TernGPUTileParallelLoops : Pass<"tern-gpu-tile-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Split each outermost scf.parallel into blocks and threads";
  let description = [{
    Tiles every outermost `scf.parallel` outside a `gpu.launch` by
    `block-size` along its innermost dimension and by 1 along the others,
    with a constant inner trip count and an `scf.if` guard (no min/max
    bounds), so that `gpu-map-parallel-loops` maps the outer loop to the grid
    and the inner one to the threads of a block, and consecutive threads
    touch consecutive elements.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "threads per block along the innermost dimension">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def TernGPUMergeKernelModules : Pass<"tern-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "One gpu.module with each distinct kernel once";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per `gpu.launch`, and a
    model repeats the same kernels in every layer. This pass moves every
    kernel into one `gpu.module @tern_kernels`, keeps one copy of kernels
    whose bodies are identical (same ops, types and attributes), names them
    `kernel_0`, `kernel_1`, ... in order of first use, and points every
    `gpu.launch_func` at its copy. The artifact then carries one PTX module,
    which the driver compiles once at load.
  }];
}

def TernGPUExpandMath : Pass<"tern-gpu-expand-math", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Kernel math without libdevice";
  let description = [{
    convert-gpu-to-nvvm turns math ops into calls of libdevice (`__nv_expf`,
    `__nv_sqrtf`, ...), which only the CUDA toolkit's libdevice.10.bc defines:
    without it the PTX has unresolved calls that the driver cannot load. This
    pass keeps kernels free of them: `exp`, `log`, `tanh`, `erf` and their
    kin become MLIR's polynomial approximations (arithmetic only, within a few
    ulp in f32), and the rest (`sqrt`, `absf`, `round`, `fma`, `floor`, ...)
    become LLVM intrinsics that NVPTX has instructions for (`sqrt.rn.f32`:
    IEEE, like the CPU). A math op with neither is an error naming it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect", "::mlir::vector::VectorDialect"];
}

def TernGPUVerifyHostCode : Pass<"tern-gpu-verify-host-code", "::mlir::ModuleOp"> {
  let summary = "Check that host code never touches device memory";
  let description = [{
    After kernel outlining, host functions may only pass buffers around:
    a `memref.load`, `memref.store`, `memref.copy`, `memref.alloc` or
    `memref.alloca` left in a host function would dereference device memory
    on the CPU (or hand the kernels host memory). Fails with the op's
    location when one is found.
  }];
}

def TernGPUDependentLaunch : Pass<"tern-gpu-dependent-launch", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Let each kernel start while the one before it finishes (sm_90)";
  let description = [{
    Hopper's programmatic dependent launch: the runtime launches every kernel
    of an artifact compiled for sm_90 with programmatic stream
    serialization, so a kernel may start as soon as every block of the
    kernel before it has executed `griddepcontrol.launch_dependents`. This
    pass makes that safe and useful. Every kernel signals
    `launch_dependents` first thing, and every kernel executes
    `griddepcontrol.wait` (wait for the kernels before it to complete and
    their writes to be visible) before it touches memory an earlier kernel
    may have written: at its start, unless it already waits later itself
    (`tern-gpu-ternary-matvec{dependent-launch}` loads its weights, which no
    kernel writes, before its wait). Because every kernel waits, a kernel
    that completes implies that all kernels before it have completed, as
    plain stream order does.

    Kernels launched only from `trigger-after-wait-functions` signal
    `launch_dependents` right after their wait instead: the kernel after
    them starts once the one before them has completed, so a chain of them
    runs at most one kernel ahead instead of as far as the GPU has room for.
    On an H200 this makes the decode step of the 2.7B shape 1.05x faster and
    a batch of 8 sequences 1.06x, while prefill, whose kernels are long,
    loses 1.5% with it (docs/performance-gpu.md).
  }];
  let options = [
    ListOption<"triggerAfterWaitFunctions", "trigger-after-wait-functions", "std::string",
               "host functions whose kernels (those no other function launches) signal "
               "launch_dependents after their wait rather than first thing">
  ];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

def TernGPUOneWave : Pass<"tern-gpu-one-wave", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Budget registers so that all blocks of a kernel are resident at once";
  let description = [{
    A kernel of more blocks than the GPU holds at once runs a second, partial
    wave that starts only when blocks of the first finish: for the short
    matrix-vector kernels of a decode step that doubles their time, and
    with dependent launch only the resident blocks can load their weights
    early. For every kernel with a known grid and block size whose blocks,
    spread over `multiprocessors`, need at least two per multiprocessor, this
    pass sets `nvvm.minctasm` (PTX `.minnctapersm`) to that number, so that
    the PTX compiler keeps each thread's registers within
    65536 / (blocks per multiprocessor x threads per block). It leaves a
    kernel alone when that would exceed 2048 threads per multiprocessor or
    leave fewer than 40 registers per thread.

    Kernels of batch decode have no known grid (its y counts blocks of
    tokens). One that only `few-token-functions` launch, always with the
    same constant grid x, is budgeted for that row of blocks when that leaves
    at least 128 registers per thread: the tensor-core products of those
    functions (a loop for one token tile and one for four) spill below that.
  }];
  let options = [
    Option<"multiprocessors", "multiprocessors", "int64_t", /*default=*/"132",
           "multiprocessors of the GPU compiled for (132: H100 and H200 SXM)">,
    ListOption<"fewTokenFunctions", "few-token-functions", "std::string",
               "functions whose launches take a few tokens (batch decode: one a sequence): a "
               "kernel without a known grid that only they launch, always with the same "
               "constant grid x, is budgeted for that many blocks (one row of blocks of tokens "
               "along y) where that leaves 128 registers a thread">
  ];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

#endif // TERN_BACKENDS_CUDA_PASSES_TD
