//===- CPUPipeline.cpp - tensor-level tern IR down to LLVM dialect --------===//
#include "backends/cpu/CPUPipeline.h"
#include "backends/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void ::tern::buildCPUBufferizePipeline(OpPassManager &pm) {
  pm.addPass(createConvertElementwiseToLinalgPass());
  // The input, forget and gate projections each normalize the same input: one sum of squares.
  pm.addPass(mlir::tern::createTernDedupeComputations());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // The same artifact from every run: constants named and ordered by content.
  pm.addPass(mlir::tern::createTernCanonicalizeGlobals());
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  // Free each buffer after its last use, not at the end of the function.
  pm.addNestedPass<func::FuncOp>(mlir::tern::createTernCPUEarlyDealloc());
  pm.addPass(mlir::tern::createTernExternalizeWeights());
}

void ::tern::buildCPUToLLVMPipeline(OpPassManager &pm) {
  // bufferization.clone (a function returning its argument, or a view of it) -> alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(mlir::tern::createTernStridedCopiesToLinalg());
  // Ternary accumulates become calls of the runtime's microkernels; the rest becomes loops.
  pm.addPass(mlir::tern::createTernCPUKernelCalls());
  // One function per distinct op, so that LLVM's time does not grow with the number of layers.
  pm.addPass(mlir::tern::createTernCPUOutlineOps());
  // exp as arith ops, which LLVM vectorizes (libm's expf is a scalar call).
  pm.addPass(mlir::tern::createTernCPUApproximateExp());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (tanh, erf, ...) calls libm, which the loading process links.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(mlir::tern::createTernBindKernels());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}
