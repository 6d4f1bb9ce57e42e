//===- Registration.cpp - every dialect and pass tern's tools use ---------===//
#include "compiler/Registration.h"

#include "backends/cpu/Passes.h"
#ifdef TERN_ENABLE_HLS
#include "backends/hls/Passes.h"
#endif
#ifdef TERN_ENABLE_CUDA
#include "backends/cuda/Passes.h"
#endif
#include "compiler/Conversion/Passes.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

void tern::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::tern::TernDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

void tern::registerAllPasses() {
  mlir::registerAllPasses();
  mlir::tern::registerTernPasses();
  mlir::tern::registerTernConversionPasses();
  mlir::tern::registerTernCPUPasses();
#ifdef TERN_ENABLE_HLS
  mlir::tern::registerTernHLSPasses();
#endif
#ifdef TERN_ENABLE_CUDA
  mlir::tern::registerTernCUDAPasses();
#endif
}
