//===- ternc.cpp - the tern compiler driver -------------------------------===//
//
// ternc MODEL_DIR -o OUT [--compile-to=STAGE] [--target=NAME]
//
// A thin driver: read the checkpoint, run the common stages (docs/pipeline.md),
// then hand the module to the backend that --target names. --compile-to
// stops after any stage and prints its IR.
//
#include "backends/cpu/CPUBackend.h"
#ifdef TERN_ENABLE_HLS
#include "backends/hls/HLSBackend.h"
#endif
#ifdef TERN_ENABLE_CUDA
#include "backends/cuda/CUDABackend.h"
#endif
#include "compiler/Driver/Driver.h"
#include "compiler/Import/Checkpoint.h"
#include "compiler/Import/HGRNImporter.h"
#include "compiler/Registration.h"
#include "compiler/Report/OperationReport.h"
#include "compiler/tools/ternc/SyntheticCheckpoint.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Transforms/Passes.h"

#include "tern/artifact.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"


namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("ternc options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model directory or graph.mlir>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("output (default: model.tern; with --compile-to, stdout)"),
                                cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> compileTo("compile-to",
                               cl::desc("stop after a stage and print its IR (see the list below)"),
                               cl::value_desc("stage"), cl::cat(category));
cl::opt<std::string> targetName("target", cl::desc("code generation target (see the list below)"),
                                cl::init("host"), cl::cat(category));
cl::opt<std::string> packing("packing",
                             cl::desc("trit layout: base3_tiled, two_bit_tiled, two_bit, base3, none "
                                      "(default: the target's; base3_tiled for x86-64-avx512 "
                                      "and a host with AVX-512 VBMI, two_bit_tiled for the "
                                      "other CPU targets)"),
                             cl::cat(category));
cl::opt<bool> printWeights("print-weights",
                           cl::desc("with --compile-to, print weight blobs in full"),
                           cl::init(false), cl::cat(category));
cl::opt<int64_t> randomWeights(
    "random-weights",
    cl::desc("compile from MODEL's config.json alone (a config.json or a directory holding one): "
             "the artifact holds no weights, and the runtime synthesizes random ones from SEED at "
             "load (benchmarks of released shapes; --target=cuda)"),
    cl::value_desc("seed"), cl::cat(category));
cl::opt<bool> quiet("quiet",
                    cl::desc("no progress messages on stderr (they appear only when stderr is a "
                             "terminal anyway)"),
                    cl::init(false), cl::cat(category));
cl::opt<std::string> emit("emit",
                          cl::desc("what to write: artifact (a .tern file, the default) or exe (one "
                                   "executable: tern-run with the artifact inside; default -o model)"),
                          cl::init("artifact"), cl::value_desc("kind"), cl::cat(category));
cl::opt<std::string> report(
    "report", cl::ValueOptional,
    cl::desc("instead of compiling, print per layer and in total the parameters, packed bytes, "
             "adds/subtracts, multiplications eliminated, bytes read and energy per token of the "
             "ternary and a dense float model (text, or json); energy per operation from "
             "M. Horowitz, ISSCC 2014, 45 nm, DRAM from S. Han et al., NeurIPS 2015 "
             "(docs/report.md). With --target=hls: the design's estimate"),
    cl::value_desc("text|json"), cl::cat(category));
#ifdef TERN_ENABLE_HLS
cl::opt<tern::HLSTop> hlsTop(
    "hls-top", cl::desc("--target=hls: the top function (default: model)"),
    cl::values(clEnumValN(tern::HLSTop::Model, "model", "the whole model, one decode step per token"),
               clEnumValN(tern::HLSTop::Layer, "layer", "one BitLinear alone (see --hls-layer)")),
    cl::init(tern::HLSTop::Model), cl::cat(category));
cl::opt<std::string> hlsLayer("hls-layer",
                              cl::desc("--hls-top=layer: the BitLinear's weight name, e.g. "
                                       "model.layers.0.attn.o_proj (default: the first)"),
                              cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> fpgaPart("fpga-part", cl::desc("--target=hls: the FPGA part for run_hls.tcl"),
                              cl::init("xcu280-fsvh2892-2L-e"), cl::value_desc("part"),
                              cl::cat(category));
cl::opt<double> hlsClockMHz("hls-clock-mhz", cl::desc("--target=hls: the target clock (MHz)"),
                            cl::init(300.0), cl::cat(category));
cl::opt<int64_t> hlsLanes("hls-lanes",
                          cl::desc("--target=hls: trits each BitLinear adds per clock (default 64)"),
                          cl::init(64), cl::cat(category));
#endif
cl::opt<bool> quantizeActivations(
    "quantize-activations",
    cl::desc("tern-eliminate-matmul: int8 absmax activations for f32 matmuls (approximate)"),
    cl::init(false), cl::cat(category));
cl::list<std::string> passPlugins(
    "load-pass-plugin",
    cl::desc("load a pass plugin (a shared library defining mlirGetPassPluginInfo, e.g. "
             "examples/custom-pass); its passes can then be named in --after-import and "
             "--before-lowering"),
    cl::value_desc("library"), cl::cat(category));
cl::opt<std::string> afterImport(
    "after-import",
    cl::desc("a pass pipeline to run on the module right after import or parsing, before "
             "ternarize (e.g. 'example-prune-weights{threshold=0.1},canonicalize')"),
    cl::value_desc("pipeline"), cl::cat(category));
cl::opt<std::string> beforeLowering(
    "before-lowering",
    cl::desc("a pass pipeline to run after pack, before the backend lowers the module"),
    cl::value_desc("pipeline"), cl::cat(category));
cl::opt<bool> ternarizeFloatWeights(
    "ternarize-float-weights",
    cl::desc("tern-eliminate-matmul: ternarize non-ternary float matmul constants (absmean)"),
    cl::init(false), cl::cat(category));

/// The target-independent stages, in order.
std::vector<tern::Stage> commonStages(const std::string &packingName) {
  return {
      {"ternarize", "after tern-ternarize (trits + scales)",
       [](mlir::OpPassManager &pm) {
         pm.addPass(mlir::createCanonicalizerPass());
         pm.addPass(mlir::tern::createTernTernarize());
       }},
      {"eliminate-matmul", "after tern-eliminate-matmul (quantize/accumulate/dequantize)",
       [eliminate = mlir::tern::TernEliminateMatmulOptions{quantizeActivations,
                                                           ternarizeFloatWeights}](
           mlir::OpPassManager &pm) { pm.addPass(mlir::tern::createTernEliminateMatmul(eliminate)); }},
      {"pack", "after tern-pack-weights",
       [packingName](mlir::OpPassManager &pm) {
         pm.addPass(mlir::tern::createTernPackWeights({packingName}));
       }},
  };
}

/// The tern-run that --emit=exe copies: the one beside this ternc (the build tree's bin/, or the
/// install's), else the first on PATH.
llvm::Expected<std::string> findRunner(const char *argv0) {
  std::string self = llvm::sys::fs::getMainExecutable(argv0, (void *)&findRunner);
  llvm::SmallString<256> beside(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(beside, "tern-run");
  if (!self.empty() && llvm::sys::fs::can_execute(beside))
    return std::string(beside);
  if (llvm::ErrorOr<std::string> onPath = llvm::sys::findProgramByName("tern-run"))
    return *onPath;
  return llvm::createStringError(std::make_error_code(std::errc::no_such_file_or_directory),
                                 "--emit=exe: no tern-run beside ternc (" + beside +
                                     ") nor on PATH");
}

/// A pipeline given on the command line (--after-import, --before-lowering) as a stage of its own;
/// the text was checked when the plugins were loaded.
tern::Stage hookStage(const char *name, const char *help, std::string pipeline) {
  return {name, help, [pipeline](mlir::OpPassManager &pm) {
            (void)mlir::parsePassPipeline(pipeline, pm, llvm::errs());
          }};
}

/// Loads --load-pass-plugin libraries and checks the hook pipelines. Returns an error message.
std::optional<std::string> loadPluginsAndCheckHooks() {
  if (passPlugins.empty() && afterImport.empty() && beforeLowering.empty())
    return std::nullopt;
  tern::registerAllPasses(); // so that pipelines can name tern's and upstream passes too
  for (const std::string &path : passPlugins) {
    llvm::Expected<mlir::PassPlugin> plugin = mlir::PassPlugin::load(path);
    if (!plugin)
      return "cannot load pass plugin " + path + ": " + llvm::toString(plugin.takeError());
    plugin->registerPassRegistryCallbacks();
  }
  for (auto [flag, pipeline] : {std::pair<const char *, std::string>{"--after-import", afterImport},
                                {"--before-lowering", beforeLowering}}) {
    std::string why;
    llvm::raw_string_ostream os(why);
    mlir::OpPassManager pm("builtin.module");
    if (!pipeline.empty() && mlir::failed(mlir::parsePassPipeline(pipeline, pm, os)))
      return std::string(flag) + ": cannot parse pass pipeline '" + pipeline + "': " + why;
  }
  return std::nullopt;
}

std::vector<tern::Backend> backends() {
  std::vector<tern::Backend> all{tern::cpuBackend()};
#ifdef TERN_ENABLE_HLS
  all.push_back(tern::hlsBackend({hlsTop, hlsLayer, fpgaPart, hlsClockMHz, hlsLanes,
                                  report.getNumOccurrences() > 0}));
#endif
#ifdef TERN_ENABLE_CUDA
  all.push_back(tern::cudaBackend());
#endif
  return all;
}

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
      "ternc: compile a MatMul-free (HGRNBit) checkpoint, or a module of MLIR text,\n"
      "to a .tern artifact\n\n"
      "  ternc MODEL_DIR -o model.tern\n"
      "  ternc MODEL_DIR --compile-to=eliminate-matmul\n"
      "  ternc graph.mlir -o graph.tern      (then: tern-run graph.tern --function NAME ...)\n"
      "  ternc MODEL_DIR --report[=json]\n\n"
      "MODEL_DIR holds config.json and model.safetensors (or sharded\n"
      "model.safetensors.index.json), as Hugging Face ships HGRNBit models. A path\n"
      "ending in .mlir is parsed as MLIR (func.funcs on tensors: linalg, tensor,\n"
      "arith, math and tern ops); its public functions are compiled.\n" +
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
  // --report: the HLS backend's design estimate, else the operations report (compiler/Report).
  const bool wantReport = report.getNumOccurrences() > 0;
  const bool operationsReport = wantReport && targetName != "hls";
  if (wantReport && !(report.empty() || report == "text" || (operationsReport && report == "json")))
    return tern::fail("--report takes text or json (json is not implemented for --target=hls)");
  if (operationsReport && !compileTo.empty())
    return tern::fail("--report runs the stages up to pack and prints the report: not with "
                      "--compile-to");
  // The layout follows the target unless --packing says otherwise.
  const std::string packingName = !packing.empty()          ? std::string(packing)
                                  : backend->defaultPackingFor ? backend->defaultPackingFor(targetName)
                                                               : std::string(backend->defaultPacking);
  options.packing = packingName;
  if (!mlir::tern::symbolizePacking(packingName))
    return tern::fail("unknown --packing '" + packingName +
                      "' (expected base3_tiled, two_bit_tiled, two_bit, base3 or none)");
  const bool synthesizeWeights = randomWeights.getNumOccurrences() > 0;
  if (synthesizeWeights && !llvm::StringRef(targetName).starts_with("cuda"))
    return tern::fail("--random-weights is implemented for --target=cuda so far");
  if (synthesizeWeights && randomWeights < 0)
    return tern::fail("--random-weights takes a seed >= 0");
  if (std::optional<std::string> error = loadPluginsAndCheckHooks())
    return tern::fail(*error);
  std::vector<tern::Stage> stages = commonStages(packingName);
  // The hook points for custom passes (docs/writing-a-pass.md).
  if (!afterImport.empty())
    stages.insert(stages.begin(), hookStage("after-import", "--after-import pipeline", afterImport));
  if (!beforeLowering.empty())
    stages.push_back(hookStage("before-lowering", "--before-lowering pipeline", beforeLowering));
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

  // --emit=exe: the backend writes the artifact beside the output, then it is appended to a copy
  // of tern-run (tern/artifact.h, writeBundledExecutable) and removed.
  const bool emitExe = emit == "exe";
  std::string exePath, runnerPath;
  if (emit != "artifact" && !emitExe)
    return tern::fail("unknown --emit '" + emit + "' (expected artifact or exe)");
  if (emitExe) {
    if (targetName != "host" || !compileTo.empty())
      return tern::fail("--emit=exe needs --target=host and no --compile-to");
    llvm::Expected<std::string> runner = findRunner(argv[0]);
    if (!runner)
      return tern::fail(llvm::toString(runner.takeError()));
    runnerPath = *runner;
    exePath = outputPath.empty() ? "model" : std::string(outputPath);
    options.outputPath = exePath + ".tern.partial";
  }

  tern::Progress progress(quiet || !llvm::sys::Process::StandardErrIsDisplayed());
  mlir::DialectRegistry registry;
  tern::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.disableMultithreading(); // 2-core machines; keeps memory predictable

  // A checkpoint directory is imported; a .mlir file is parsed as it is.
  std::unique_ptr<tern::Checkpoint> checkpoint;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  const tern::ModelConfig noModel{};
  bool fromMLIR = llvm::StringRef(inputPath).ends_with(".mlir");
  if (fromMLIR) {
    progress.step("parsing " + inputPath);
    module = mlir::parseSourceFile<mlir::ModuleOp>(inputPath, &context);
    if (!module)
      return tern::fail("cannot parse " + inputPath + " (see above)");
  } else {
    progress.step("reading " + inputPath);
    llvm::Expected<std::unique_ptr<tern::Checkpoint>> opened =
        synthesizeWeights ? tern::openZeroCheckpoint(inputPath) : tern::Checkpoint::open(inputPath);
    if (!opened)
      return tern::fail(llvm::toString(opened.takeError()));
    checkpoint = std::move(*opened);
    progress.step("importing");
    module = tern::importHGRNBit(context, *checkpoint);
#ifdef TERN_ENABLE_CUDA
    if (synthesizeWeights)
      (*module)->setAttr(tern::kRandomWeightsAttr,
                         mlir::IntegerAttr::get(mlir::IntegerType::get(&context, 64),
                                                int64_t(randomWeights)));
#endif
  }
  if (mlir::failed(mlir::verify(*module)))
    return tern::fail(fromMLIR ? "the module does not verify" : "the imported IR does not verify");
  if (compileTo == "import")
    return tern::printModule(options, *module);

  tern::DriverContext ctx{options, checkpoint ? checkpoint->config() : noModel, progress,
                          fromMLIR ? tern::InputKind::MLIRModule : tern::InputKind::Checkpoint};
  if (std::optional<int> status = tern::runStages(*module, stages, ctx))
    return *status;
  if (operationsReport) {
    tern::OperationReport counts = tern::computeOperationReport(*module);
    return tern::printText(options, [&](llvm::raw_ostream &os) {
      report == "json" ? tern::printReportJSON(counts, os) : tern::printReportText(counts, os);
    });
  }
  int status = backend->compile(*module, ctx);
  if (!emitExe || status != 0)
    return status;
  progress.step("bundling " + runnerPath + " and the artifact into " + exePath);
  std::string error;
  bool bundled = tern::writeBundledExecutable(runnerPath, options.outputPath, exePath, &error);
  llvm::sys::fs::remove(options.outputPath);
  return bundled ? 0 : tern::fail(error);
}
