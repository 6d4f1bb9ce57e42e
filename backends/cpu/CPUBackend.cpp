//===- CPUBackend.cpp - ternc's CPU target --------------------------------===//
#include "backends/cpu/CPUBackend.h"

#include "backends/cpu/CPUCodegen.h"
#include "backends/cpu/CPUPipeline.h"
#include "backends/cpu/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Import/HGRNImporter.h"
#include "dialects/Tern/IR/WeightData.h"
#include "tern/artifact.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

#include <cstring>

using namespace mlir;

namespace tern {
namespace {

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
    int64_t bytes = global.getType().getNumElements() *
                    ((global.getType().getElementTypeBitWidth() + 7) / 8);
    char *at = weights.data() + offset.getInt();
    if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat()) {
      ArrayRef<char> one = dense.getRawData(); // a splat stores one element
      for (int64_t i = 0; i < bytes; i += one.size())
        std::memcpy(at + i, one.data(), one.size());
    } else if (std::optional<ArrayRef<char>> raw = mlir::tern::getRawElementBytes(value);
               raw && int64_t(raw->size()) == bytes) {
      std::memcpy(at, raw->data(), bytes);
    } else {
      return global.emitError("cannot read the bytes of this weight");
    }
    manifestWeights.push_back(
        {{"symbol", global.getSymName().str()}, {"offset", offset.getInt()}, {"bytes", bytes}});
    moved.push_back(global);
  }
  for (memref::GlobalOp global : moved)
    global.erase();
  return success();
}

nlohmann::json manifestFor(const ModelConfig &config, const CPUTarget &target,
                           const DriverOptions &options, nlohmann::json weights) {
  return {
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
       {{"prefill", std::string("_mlir_ciface_") + kPrefillFunction},
        {"decode", std::string("_mlir_ciface_") + kDecodeFunction}}},
      {"state", {{"shape", {config.numLayers, config.hiddenSize}}, {"dtype", "f32"}}},
      {"packing", options.packing},
      {"weights", std::move(weights)},
      {"tokenizer", nullptr},
  };
}

int compileCPU(ModuleOp module, const DriverContext &ctx) {
  const DriverOptions &options = ctx.options;
  Stage stages[] = {
      {"linalg", "after convert-tern-to-linalg",
       [](OpPassManager &pm) { pm.addPass(mlir::tern::createConvertTernToLinalg()); }},
      {"bufferize", "bufferized, weights moved out of the code", buildCPUBufferizePipeline},
  };
  if (std::optional<int> status = runStages(module, stages, ctx))
    return *status;

  std::vector<char> weights;
  nlohmann::json manifestWeights = nlohmann::json::array();
  if (failed(collectWeights(module, weights, manifestWeights)))
    return fail("collecting the weights failed");

  Stage toLLVM[] = {{"llvm", "the LLVM dialect", buildCPUToLLVMPipeline}};
  if (std::optional<int> status = runStages(module, toLLVM, ctx))
    return *status;

  ctx.progress.step("generating native code");
  CPUTarget target = CPUTarget::host();
  bool wantIR = options.compileTo == "llvm-ir";
  std::string llvmIR;
  llvm::Expected<std::string> code = emitSharedObject(module, target, wantIR ? &llvmIR : nullptr);
  if (!code)
    return fail(llvm::toString(code.takeError()));
  if (wantIR)
    return printText(options, [&](llvm::raw_ostream &os) { os << llvmIR; });

  std::string output = options.outputPath.empty() ? "model.tern" : options.outputPath;
  ctx.progress.step("writing " + output);
  std::string error;
  nlohmann::json manifest = manifestFor(ctx.config, target, options, std::move(manifestWeights));
  if (!writeArtifact(output, manifest.dump(2), code->data(), code->size(), weights.data(),
                     weights.size(), &error))
    return fail(error);
  ctx.progress.step(llvm::formatv("done: {0} bytes of code, {1} bytes of weights", code->size(),
                                  weights.size())
                        .str());
  return 0;
}

} // namespace

Backend cpuBackend() {
  return Backend{
      [](llvm::StringRef target) { return target == "host"; },
      "host",
      {{"linalg", "after convert-tern-to-linalg"},
       {"bufferize", "bufferized, weights moved out of the code"},
       {"llvm", "the LLVM dialect"},
       {"llvm-ir", "optimised LLVM IR"}},
      compileCPU,
  };
}

} // namespace tern
