//===- tern-opt.cpp - mlir-opt with the tern dialect and passes -----------===//
//
// MlirOptMain with the tern dialect and passes next to every upstream
// dialect and pass. `--load-pass-plugin` and `--load-dialect-plugin` come
// with MlirOptMain.
//
#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tern::registerAllDialects(registry);
  tern::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tern optimizer driver\n", registry));
}
