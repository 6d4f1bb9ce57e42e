//===- ternc.cpp - the tern compiler driver -------------------------------===//
//
// ternc MODEL_DIR -o model.tern [--compile-to=STAGE] [--target=host]
//
// A thin driver: read the checkpoint, run the stages of docs/pipeline.md in
// order, stop and print after any of them, or write the artifact.
//
#include "backends/cpu/CPUCodegen.h"
#include "backends/cpu/CPUPipeline.h"
#include "backends/cpu/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Import/Checkpoint.h"
#include "compiler/Import/HGRNImporter.h"
#include "compiler/Registration.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "tern/artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "dialects/Tern/IR/WeightData.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Stage { Import, Ternarize, EliminateMatmul, Pack, Linalg, Bufferize, LLVMDialect, LLVMIR, Artifact };

cl::OptionCategory ternc("ternc options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model directory>"), cl::Required,
                               cl::cat(ternc));
cl::opt<std::string> outputPath("o", cl::desc("output artifact (default: model.tern)"),
                                cl::value_desc("file"), cl::init("model.tern"), cl::cat(ternc));
cl::opt<Stage> compileTo(
    "compile-to", cl::desc("stop after a stage and print its IR to stdout (or -o FILE)"),
    cl::values(clEnumValN(Stage::Import, "import", "tern graph IR straight from the checkpoint"),
               clEnumValN(Stage::Ternarize, "ternarize", "after tern-ternarize (trits + scales)"),
               clEnumValN(Stage::EliminateMatmul, "eliminate-matmul",
                          "after tern-eliminate-matmul (quantize/accumulate/dequantize)"),
               clEnumValN(Stage::Pack, "pack", "after tern-pack-weights"),
               clEnumValN(Stage::Linalg, "linalg", "after convert-tern-to-linalg"),
               clEnumValN(Stage::Bufferize, "bufferize",
                          "bufferized, weights moved out of the code"),
               clEnumValN(Stage::LLVMDialect, "llvm", "the LLVM dialect"),
               clEnumValN(Stage::LLVMIR, "llvm-ir", "optimised LLVM IR"),
               clEnumValN(Stage::Artifact, "artifact", "the whole pipeline (default)")),
    cl::init(Stage::Artifact), cl::cat(ternc));
cl::opt<std::string> targetName("target", cl::desc("code generation target: host (default)"),
                                cl::init("host"), cl::cat(ternc));
cl::opt<std::string> packing("packing", cl::desc("trit layout: two_bit (default), base3, none"),
                             cl::init("two_bit"), cl::cat(ternc));
cl::opt<bool> printResources("print-weights",
                             cl::desc("with --compile-to, print weight blobs in full"),
                             cl::init(false), cl::cat(ternc));
cl::opt<bool> quiet("quiet", cl::desc("no progress messages on stderr"), cl::init(false),
                    cl::cat(ternc));

int fail(const llvm::Twine &message) {
  llvm::errs() << "ternc: error: " << message << "\n";
  return 1;
}

class Progress {
public:
  void step(llvm::StringRef what) {
    if (quiet)
      return;
    auto now = std::chrono::steady_clock::now();
    llvm::errs() << llvm::format("[%6.1fs] ", std::chrono::duration<double>(now - start).count())
                 << what << "\n";
  }

private:
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// Prints IR text to -o when given, else to stdout.
int printText(llvm::function_ref<void(llvm::raw_ostream &)> print) {
  if (!outputPath.getNumOccurrences()) {
    print(llvm::outs());
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(outputPath, ec);
  if (ec)
    return fail("cannot write " + outputPath + ": " + ec.message());
  print(file);
  return 0;
}

/// Prints the module, weights elided unless asked.
int printModule(ModuleOp module) {
  OpPrintingFlags flags;
  if (!printResources)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  return printText([&](llvm::raw_ostream &os) { module.print(os, flags); });
}

/// Runs `build`'s passes; errors go to stderr through the diagnostic engine.
LogicalResult runPasses(ModuleOp module, llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

/// Copies each externalized global's bytes to its offset and drops the globals.
LogicalResult collectWeights(ModuleOp module, std::vector<char> &weights,
                             nlohmann::json &manifestWeights) {
  auto total = module->getAttrOfType<IntegerAttr>("tern.weights_bytes");
  weights.assign(total ? total.getInt() : 0, 0);
  SmallVector<memref::GlobalOp> moved;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    auto offset = global->getAttrOfType<IntegerAttr>(mlir::tern::kWeightOffsetAttr);
    if (!offset)
      continue;
    auto value = cast<ElementsAttr>(*global.getInitialValue());
    std::optional<ArrayRef<char>> raw = mlir::tern::getRawElementBytes(value);
    int64_t bytes = global.getType().getNumElements() *
                    ((global.getType().getElementTypeBitWidth() + 7) / 8);
    if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat()) {
      // A splat stores one element; repeat it.
      ArrayRef<char> one = dense.getRawData();
      for (int64_t at = 0; at < bytes; at += one.size())
        std::memcpy(weights.data() + offset.getInt() + at, one.data(), one.size());
    } else if (raw && int64_t(raw->size()) == bytes) {
      std::memcpy(weights.data() + offset.getInt(), raw->data(), bytes);
    } else {
      return global.emitError("cannot read the bytes of this weight");
    }
    manifestWeights.push_back({{"symbol", global.getSymName().str()},
                               {"offset", offset.getInt()},
                               {"bytes", bytes}});
    moved.push_back(global);
  }
  for (memref::GlobalOp global : moved)
    global.erase();
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(ternc);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) { os << "ternc 0.1.0 (MLIR/LLVM 22)\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "ternc: compile a MatMul-free (HGRNBit) checkpoint to a .tern artifact\n\n"
      "  ternc MODEL_DIR -o model.tern\n"
      "  ternc MODEL_DIR --compile-to=eliminate-matmul\n\n"
      "MODEL_DIR holds config.json and model.safetensors (or sharded\n"
      "model.safetensors.index.json), as Hugging Face ships HGRNBit models.\n");

  if (targetName != "host")
    return fail("unknown --target '" + targetName + "' (this build knows: host)");
  if (!mlir::tern::symbolizePacking(packing))
    return fail("unknown --packing '" + packing + "' (expected two_bit, base3 or none)");

  Progress progress;
  DialectRegistry registry;
  ::tern::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading(); // 2-core machines; keeps memory predictable

  progress.step("reading " + inputPath);
  llvm::Expected<std::unique_ptr<::tern::Checkpoint>> checkpoint =
      ::tern::Checkpoint::open(inputPath);
  if (!checkpoint)
    return fail(llvm::toString(checkpoint.takeError()));
  const ::tern::ModelConfig &config = (*checkpoint)->config();

  progress.step("importing");
  OwningOpRef<ModuleOp> module = ::tern::importHGRNBit(context, **checkpoint);
  if (failed(verify(*module)))
    return fail("the imported IR does not verify");
  if (compileTo == Stage::Import)
    return printModule(*module);

  struct StageSpec {
    Stage stage;
    const char *what;
    std::function<void(OpPassManager &)> build;
  };
  std::string packingName = packing;
  std::vector<StageSpec> stages = {
      {Stage::Ternarize, "ternarizing weights",
       [](OpPassManager &pm) {
         pm.addPass(createCanonicalizerPass());
         pm.addPass(mlir::tern::createTernTernarize());
       }},
      {Stage::EliminateMatmul, "eliminating matmuls",
       [](OpPassManager &pm) { pm.addPass(mlir::tern::createTernEliminateMatmul()); }},
      {Stage::Pack, "packing trits",
       [&](OpPassManager &pm) {
         pm.addPass(mlir::tern::createTernPackWeights({packingName}));
       }},
      {Stage::Linalg, "lowering to linalg",
       [](OpPassManager &pm) { pm.addPass(mlir::tern::createConvertTernToLinalg()); }},
      {Stage::Bufferize, "bufferizing", ::tern::buildCPUBufferizePipeline},
  };
  for (const StageSpec &spec : stages) {
    progress.step(spec.what);
    if (failed(runPasses(*module, spec.build)))
      return fail(llvm::Twine("stage '") + spec.what + "' failed");
    if (compileTo == spec.stage)
      return printModule(*module);
  }

  std::vector<char> weights;
  nlohmann::json manifestWeights = nlohmann::json::array();
  if (failed(collectWeights(*module, weights, manifestWeights)))
    return fail("collecting the weights failed");

  progress.step("lowering to the LLVM dialect");
  if (failed(runPasses(*module, ::tern::buildCPUToLLVMPipeline)))
    return fail("lowering to the LLVM dialect failed");
  if (compileTo == Stage::LLVMDialect)
    return printModule(*module);

  progress.step("generating native code");
  ::tern::CPUTarget target = ::tern::CPUTarget::host();
  std::string llvmIR;
  llvm::Expected<std::string> code = ::tern::emitSharedObject(
      *module, target, compileTo == Stage::LLVMIR ? &llvmIR : nullptr);
  if (!code)
    return fail(llvm::toString(code.takeError()));
  if (compileTo == Stage::LLVMIR)
    return printText([&](llvm::raw_ostream &os) { os << llvmIR; });

  nlohmann::json manifest = {
      {"format_version", 1},
      {"producer", "ternc 0.1.0"},
      {"kind", "hgrn_bit"},
      {"abi", "memref-v1"},
      {"target", {{"triple", target.triple}, {"cpu", target.cpu}, {"features", target.features}}},
      {"model",
       {{"hidden_size", config.hiddenSize},
        {"num_hidden_layers", config.numLayers},
        {"vocab_size", config.vocabSize},
        {"intermediate_size", config.intermediateSize},
        {"bos_token_id", config.bosTokenId},
        {"eos_token_id", config.eosTokenId},
        {"rms_norm_eps", config.rmsNormEps}}},
      {"entry_points",
       {{"prefill", std::string("_mlir_ciface_") + ::tern::kPrefillFunction},
        {"decode", std::string("_mlir_ciface_") + ::tern::kDecodeFunction}}},
      {"state", {{"shape", {config.numLayers, config.hiddenSize}}, {"dtype", "f32"}}},
      {"packing", packingName},
      {"weights", manifestWeights},
      {"tokenizer", nullptr},
  };
  progress.step("writing " + outputPath);
  std::string error;
  if (!::tern::writeArtifact(outputPath, manifest.dump(2), code->data(), code->size(),
                           weights.data(), weights.size(), &error))
    return fail(error);
  progress.step(llvm::formatv("done: {0} bytes of code, {1} bytes of weights", code->size(),
                              weights.size())
                    .str());
  return 0;
}
