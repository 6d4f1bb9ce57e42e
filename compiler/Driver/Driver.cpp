//===- Driver.cpp - what ternc's stages and backends share ----------------===//
#include "compiler/Driver/Driver.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace tern {

void Progress::step(const llvm::Twine &what) const {
  if (quiet)
    return;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  llvm::errs() << llvm::format("[%6.1fs] ", seconds) << what << "\n";
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "ternc: error: " << message << "\n";
  return 1;
}

int printText(const DriverOptions &options, llvm::function_ref<void(llvm::raw_ostream &)> print) {
  if (options.outputPath.empty()) {
    print(llvm::outs());
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(options.outputPath, ec);
  if (ec)
    return fail("cannot write " + options.outputPath + ": " + ec.message());
  print(file);
  return 0;
}

int printModule(const DriverOptions &options, ModuleOp module) {
  OpPrintingFlags flags;
  if (!options.printWeights)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  return printText(options, [&](llvm::raw_ostream &os) { module.print(os, flags); });
}

LogicalResult runPasses(ModuleOp module, llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

std::optional<int> runStages(ModuleOp module, llvm::ArrayRef<Stage> stages,
                             const DriverContext &ctx) {
  for (const Stage &stage : stages) {
    ctx.progress.step(llvm::Twine("stage ") + stage.name);
    if (failed(runPasses(module, stage.build)))
      return fail(llvm::Twine("stage '") + stage.name + "' failed");
    if (ctx.options.compileTo == stage.name)
      return printModule(ctx.options, module);
  }
  return std::nullopt;
}

} // namespace tern
