//===- CUDAPipeline.cpp - tensor-level tern IR to kernels and PTX ---------===//
#include "backends/cuda/CUDAPipeline.h"
#include "backends/cpu/Passes.h"
#include "backends/cuda/Passes.h"
#include "compiler/Import/HGRNImporter.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

namespace tern {

std::optional<CUDATarget> parseCUDATarget(llvm::StringRef name) {
  // The PTX ISA version is the oldest that has every instruction the chip's
  // kernels use, so older drivers can still JIT it.
  if (name == "cuda" || name == "cuda-sm_80")
    return CUDATarget{"sm_80", "+ptx70"};
  if (name == "cuda-sm_90")
    return CUDATarget{"sm_90", "+ptx80"};
  return std::nullopt;
}

void buildCUDABufferizePipeline(OpPassManager &pm) {
  pm.addPass(createConvertElementwiseToLinalgPass());
  // The input, forget and gate projections each normalize the same input: one sum of squares.
  pm.addPass(mlir::tern::createTernDedupeComputations());
  pm.addPass(mlir::tern::createTernGPUFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // The input projection's own part of the recurrence step, next to it: its epilogue runs it.
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUSplitEpilogues());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // The same artifact from every run: constants named and ordered by content.
  pm.addPass(mlir::tern::createTernCanonicalizeGlobals());
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUHostBuffers());
}

bool usesDependentLaunch(const CUDATarget &target) { return target.chip == "sm_90"; }

namespace {
/// Most threads of a decode step's single-block kernel on sm_90.
constexpr int64_t kSM90FusedBlockSize = 640;

/// A decode step's products in at most this many blocks (132: one per multiprocessor of an H200),
/// each block normalizing and quantizing its own input (tern-gpu-fuse-prologues): 4 kernels per
/// layer instead of 8. Measured slower on an H200 in every variant tried (docs/performance-gpu.md,
/// "Measured, not kept"): 1,174 tok/s on the 2.7B shape against 1,486 with the separate kernels.
/// A kernel of one block per multiprocessor leaves no room for the next one's blocks, which then
/// load their weights only after it ends, where they loaded them while a single-block kernel ran.
/// Kept as an option for that work.
llvm::cl::opt<int64_t> prologueBlocks(
    "cuda-prologue-blocks", llvm::cl::Hidden, llvm::cl::init(0),
    llvm::cl::desc("sm_90 decode step: products in at most this many blocks, each running the "
                   "single-block kernel before it (tern-gpu-fuse-prologues); 0: off"));
} // namespace

void buildCUDAKernelPipeline(OpPassManager &pm, const CUDATarget &target) {
  // Hand-built kernels first, while the weights are still globals.
  mlir::tern::TernGPUTernaryMatvecOptions matvec;
  matvec.dependentLaunch = usesDependentLaunch(target);
  // Off unless asked for (--cuda-prologue-blocks): measured slower, see prologueBlocks above.
  if (usesDependentLaunch(target))
    matvec.prologueBlocks = prologueBlocks;
  matvec.fewTokenFunctions = {std::string(kDecodeBatchFunction)};
  pm.addPass(mlir::tern::createTernGPUTernaryMatvec(matvec));
  // The small ops between two matrix products of a decode step: one block-wide kernel per run.
  mlir::tern::TernGPUBlockFusionOptions fusion;
  fusion.dependentLaunch = usesDependentLaunch(target);
  // With their inputs loaded into registers at once, these kernels are bound by what one
  // multiprocessor issues, and part of it (a reduction's second level, a quantization scale) is
  // repeated by every warp: fewer warps do better. H200, 2.7B decode (docs/performance-gpu.md):
  // at most 640 threads (rows of 2,560 in 4 rounds of 640) 1.4% faster than 1024 (3 of 864), 512
  // in between.
  if (usesDependentLaunch(target))
    fusion.blockSize = kSM90FusedBlockSize;
  // Prefill and batch decode: the same runs, a block per token.
  fusion.rowBlocks = true;
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUBlockFusion(fusion));
  // The projections that share an input (and now lie side by side): one kernel.
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUMergeLaunches());
  // The single-block kernel before each marked product runs in the product's blocks.
  if (usesDependentLaunch(target))
    pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUFusePrologues());
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPURowReductions());
  // Every constant goes to the weights buffer: kernels cannot read globals
  // that live in host memory.
  pm.addPass(mlir::tern::createTernExternalizeWeights({/*minBytes=*/0}));
  // Prefill's recurrence over the tokens: one kernel, threads over the elements.
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUInterchangeScans());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernGPUTileParallelLoops());
  // The innermost dimension goes to x: consecutive threads, consecutive elements.
  GpuMapParallelLoopsPassOptions mapping;
  mapping.mappingPolicyStr = "innermost-first";
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass(mapping));
  pm.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  // Constants and index arithmetic move into the kernels, so that the kernel
  // code folds them (divisions by a known size, shuffle offsets, loop bounds)
  // instead of reading them as launch arguments.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(mlir::tern::createTernGPUMergeKernelModules());
  if (usesDependentLaunch(target)) {
    // The decode step's and a batch step's chains of short kernels run at most one kernel ahead:
    // H200, 2.7B, alternating in one run: decode 1,667-1,675 tok/s against 1,594-1,602, batch 8
    // 7,490-7,549 against 7,075-7,136. Prefill keeps the early signal: 47.0k tok/s with it moved
    // against 47.7k (docs/performance-gpu.md).
    mlir::tern::TernGPUDependentLaunchOptions dependent;
    dependent.triggerAfterWaitFunctions = {std::string(kDecodeFunction),
                                           std::string(kDecodeBatchFunction)};
    pm.addNestedPass<gpu::GPUModuleOp>(mlir::tern::createTernGPUDependentLaunch(dependent));
    // sm_90 parts are H100/H200: 132 multiprocessors on the SXM boards.
    mlir::tern::TernGPUOneWaveOptions oneWave;
    oneWave.fewTokenFunctions = {std::string(kDecodeBatchFunction)};
    pm.addNestedPass<gpu::GPUModuleOp>(mlir::tern::createTernGPUOneWave(oneWave));
  }
  pm.addPass(mlir::tern::createTernGPUVerifyHostCode());
  pm.addNestedPass<gpu::GPUModuleOp>(mlir::tern::createTernGPUExpandMath());
  // One stream per function call, synchronised once at its end.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(createCanonicalizerPass());
}

void buildCUDAToLLVMPipeline(OpPassManager &pm, const CUDATarget &target) {
  gpu::GPUToNVVMPipelineOptions options;
  options.cubinChip = target.chip;
  options.cubinFeatures = target.features;
  options.cubinFormat = "isa"; // PTX text: the driver compiles it for the GPU at load
  options.optLevel = 3;
  gpu::buildLowerToNVVMPassPipeline(pm, options);
}

} // namespace tern
