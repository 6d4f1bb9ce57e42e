//===- ExamplePlugin.cpp - the entry point the tools look for ------------===//
//
// tern-opt and ternc dlopen the plugin and call mlirGetPassPluginInfo; its
// callback registers the passes, which pipelines then name
// (--pass-pipeline='builtin.module(example-prune-weights)').
//
#include "Passes.h"

#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "TernExamplePlugin", LLVM_VERSION_STRING,
          [] { example::registerExamplePluginPasses(); }};
}
