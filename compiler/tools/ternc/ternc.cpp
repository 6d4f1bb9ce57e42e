//===- ternc.cpp - the tern compiler driver -------------------------------===//
//
// ternc MODEL_DIR -o OUT [--compile-to=STAGE] [--target=NAME]
//
// A thin driver: read the checkpoint, run the common stages (docs/pipeline.md),
// then hand the module to the backend that --target names. --compile-to
// stops after any stage and prints its IR.
//
#include "backends/cpu/CPUBackend.h"
#include "compiler/Driver/Driver.h"
#include "compiler/Import/Checkpoint.h"
#include "compiler/Import/HGRNImporter.h"
#include "compiler/Registration.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"


namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("ternc options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model directory>"), cl::Required,
                               cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("output (default: model.tern; with --compile-to, stdout)"),
                                cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> compileTo("compile-to",
                               cl::desc("stop after a stage and print its IR (see the list below)"),
                               cl::value_desc("stage"), cl::cat(category));
cl::opt<std::string> targetName("target", cl::desc("code generation target (see the list below)"),
                                cl::init("host"), cl::cat(category));
cl::opt<std::string> packing("packing", cl::desc("trit layout: two_bit (default), base3, none"),
                             cl::init("two_bit"), cl::cat(category));
cl::opt<bool> printWeights("print-weights",
                           cl::desc("with --compile-to, print weight blobs in full"),
                           cl::init(false), cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("no progress messages on stderr"), cl::init(false),
                    cl::cat(category));

/// The target-independent stages, in order.
std::vector<tern::Stage> commonStages(const std::string &packingName) {
  return {
      {"ternarize", "after tern-ternarize (trits + scales)",
       [](mlir::OpPassManager &pm) {
         pm.addPass(mlir::createCanonicalizerPass());
         pm.addPass(mlir::tern::createTernTernarize());
       }},
      {"eliminate-matmul", "after tern-eliminate-matmul (quantize/accumulate/dequantize)",
       [](mlir::OpPassManager &pm) { pm.addPass(mlir::tern::createTernEliminateMatmul()); }},
      {"pack", "after tern-pack-weights",
       [packingName](mlir::OpPassManager &pm) {
         pm.addPass(mlir::tern::createTernPackWeights({packingName}));
       }},
  };
}

std::vector<tern::Backend> backends() { return {tern::cpuBackend()}; }

std::string stageAndTargetHelp() {
  std::string text = "\nStages for --compile-to:\n  import             tern graph IR straight "
                     "from the checkpoint\n";
  for (const tern::Stage &stage : commonStages("two_bit"))
    text += llvm::formatv("  {0,-18} {1}\n", stage.name, stage.help).str();
  for (const tern::Backend &backend : backends()) {
    text += llvm::formatv("then, for --target={0}:\n", backend.targets).str();
    for (auto [name, help] : backend.stages)
      text += llvm::formatv("  {0,-18} {1}\n", name, help).str();
  }
  return text;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) { os << "ternc 0.1.0 (MLIR/LLVM 22)\n"; });
  cl::AddExtraVersionPrinter(nullptr);
  std::string overview =
      "ternc: compile a MatMul-free (HGRNBit) checkpoint to a .tern artifact\n\n"
      "  ternc MODEL_DIR -o model.tern\n"
      "  ternc MODEL_DIR --compile-to=eliminate-matmul\n\n"
      "MODEL_DIR holds config.json and model.safetensors (or sharded\n"
      "model.safetensors.index.json), as Hugging Face ships HGRNBit models.\n" +
      stageAndTargetHelp();
  cl::ParseCommandLineOptions(argc, argv, overview);

  tern::DriverOptions options{inputPath, outputPath, compileTo, targetName, packing, printWeights,
                              quiet};
  std::vector<tern::Backend> all = backends();
  const tern::Backend *backend = nullptr;
  std::string known;
  for (const tern::Backend &b : all) {
    known += (known.empty() ? "" : ", ") + std::string(b.targets);
    if (b.accepts(targetName))
      backend = &b;
  }
  if (!backend)
    return tern::fail("unknown --target '" + targetName + "' (this build knows: " + known + ")");
  if (!mlir::tern::symbolizePacking(packing))
    return tern::fail("unknown --packing '" + packing + "' (expected two_bit, base3 or none)");
  std::vector<tern::Stage> stages = commonStages(packing);
  if (!compileTo.empty()) {
    bool found = compileTo == "import";
    for (const tern::Stage &stage : stages)
      found |= compileTo == stage.name;
    for (auto [name, help] : backend->stages)
      found |= compileTo == name;
    if (!found)
      return tern::fail("unknown --compile-to stage '" + compileTo + "' for --target=" +
                        targetName + " (see ternc --help)");
  }

  tern::Progress progress(quiet);
  mlir::DialectRegistry registry;
  tern::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.disableMultithreading(); // 2-core machines; keeps memory predictable

  progress.step("reading " + inputPath);
  llvm::Expected<std::unique_ptr<tern::Checkpoint>> checkpoint =
      tern::Checkpoint::open(inputPath);
  if (!checkpoint)
    return tern::fail(llvm::toString(checkpoint.takeError()));

  progress.step("importing");
  mlir::OwningOpRef<mlir::ModuleOp> module = tern::importHGRNBit(context, **checkpoint);
  if (mlir::failed(mlir::verify(*module)))
    return tern::fail("the imported IR does not verify");
  if (compileTo == "import")
    return tern::printModule(options, *module);

  tern::DriverContext ctx{options, (*checkpoint)->config(), progress};
  if (std::optional<int> status = tern::runStages(*module, stages, ctx))
    return *status;
  return backend->compile(*module, ctx);
}
