//===- CUDABackend.cpp - ternc's CUDA target ------------------------------===//
#include "backends/cuda/CUDABackend.h"

#include "backends/cpu/Passes.h"
#include "backends/cuda/CUDACodegen.h"
#include "backends/cuda/CUDAPipeline.h"
#include "backends/cuda/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Import/HGRNImporter.h"
#include "dialects/Tern/IR/WeightData.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "tern/artifact.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

#include <cstring>

using namespace mlir;

namespace tern {
namespace {

std::string dtypeName(Type type) {
  if (type.isBF16())
    return "bf16";
  if (type.isF16())
    return "f16";
  if (type.isF32())
    return "f32";
  if (auto integer = dyn_cast<IntegerType>(type))
    return "i" + std::to_string(integer.getWidth());
  return "";
}

/// Lists every externalized global for the manifest and, unless the weights
/// are synthesized at load, copies its bytes to its offset; then drops the
/// globals so the code holds no weights.
LogicalResult collectWeights(ModuleOp module, bool synthesized, std::vector<char> &weights,
                             nlohmann::json &listed, int64_t &totalBytes) {
  auto total = module->getAttrOfType<IntegerAttr>("tern.weights_bytes");
  totalBytes = total ? total.getInt() : 0;
  weights.assign(synthesized ? 0 : totalBytes, 0);
  SmallVector<memref::GlobalOp> moved;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    auto offset = global->getAttrOfType<IntegerAttr>(mlir::tern::kWeightOffsetAttr);
    if (!offset)
      continue;
    MemRefType type = global.getType();
    int64_t bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
    if (!synthesized) {
      auto value = cast<ElementsAttr>(*global.getInitialValue());
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
    }
    nlohmann::json entry = {{"symbol", global.getSymName().str()},
                            {"offset", offset.getInt()},
                            {"bytes", bytes},
                            {"dtype", dtypeName(type.getElementType())}};
    if (auto layout = global->getAttrOfType<StringAttr>(mlir::tern::kGPULayoutAttr))
      entry["layout"] = layout.getValue().str();
    listed.push_back(std::move(entry));
    moved.push_back(global);
  }
  for (memref::GlobalOp global : moved)
    global.erase();
  return success();
}

nlohmann::json manifestFor(const ModelConfig &config, const CUDATarget &gpu, const CPUTarget &host,
                           const DriverOptions &options, nlohmann::json weights,
                           int64_t weightsBytes, std::optional<int64_t> randomSeed) {
  nlohmann::json manifest = {
      {"format_version", 1},
      {"producer", "ternc 0.1.0"},
      {"kind", "hgrn_bit"},
      {"abi", "memref-v1"},
      {"target",
       {{"kind", "cuda"},
        {"chip", gpu.chip},
        {"ptx_features", gpu.features},
        {"dependent_launch", usesDependentLaunch(gpu)},
        {"triple", host.triple},
        {"cpu", host.cpu},
        {"features", host.features}}},
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
        {"decode", std::string("_mlir_ciface_") + kDecodeFunction},
        {"decode_batch", std::string("_mlir_ciface_") + kDecodeBatchFunction}}},
      {"state", {{"shape", {config.numLayers, config.hiddenSize}}, {"dtype", "f32"}}},
      {"packing", options.packing},
      {"weights", std::move(weights)},
      {"weights_bytes", weightsBytes},
      {"tokenizer", nullptr},
  };
  if (randomSeed)
    manifest["random_weights"] = {{"seed", *randomSeed}};
  return manifest;
}

int compileCUDA(ModuleOp module, const DriverContext &ctx) {
  const DriverOptions &options = ctx.options;
  std::optional<CUDATarget> gpu = parseCUDATarget(options.target);
  if (!gpu)
    return fail("unknown CUDA target '" + options.target + "'");
  if (ctx.input != InputKind::Checkpoint)
    return fail("--target=" + options.target + " compiles HGRNBit checkpoints only, not MLIR "
                "modules");
  std::optional<int64_t> randomSeed;
  if (auto seed = module->getAttrOfType<IntegerAttr>(kRandomWeightsAttr))
    randomSeed = seed.getInt();
  registerCUDATranslations(*module.getContext());

  Stage stages[] = {
      {"linalg", "after convert-tern-to-linalg",
       [](OpPassManager &pm) {
         // The decode step with its own body of static shapes, for the block-wide kernels.
         pm.addPass(mlir::tern::createTernSpecializeCalls());
         pm.addPass(createCanonicalizerPass());
         pm.addPass(mlir::tern::createConvertTernToLinalg());
       }},
      {"bufferize", "bufferized into device memory", buildCUDABufferizePipeline},
      {"gpu", "kernels outlined into one gpu.module, weights moved out",
       [&](OpPassManager &pm) { buildCUDAKernelPipeline(pm, *gpu); }},
  };
  if (std::optional<int> status = runStages(module, stages, ctx))
    return *status;

  std::vector<char> weights;
  nlohmann::json listed = nlohmann::json::array();
  int64_t weightsBytes = 0;
  if (failed(collectWeights(module, randomSeed.has_value(), weights, listed, weightsBytes)))
    return fail("collecting the weights failed");

  Stage toLLVM[] = {{"llvm", "host code in the LLVM dialect, kernels as PTX in a gpu.binary",
                     [&](OpPassManager &pm) { buildCUDAToLLVMPipeline(pm, *gpu); }}};
  if (std::optional<int> status = runStages(module, toLLVM, ctx))
    return *status;
  if (options.compileTo == "ptx")
    return printText(options, [&](llvm::raw_ostream &os) { os << collectPTX(module); });

  ctx.progress.step("generating host code");
  CPUTarget host = cudaHostTarget();
  bool wantIR = options.compileTo == "llvm-ir";
  std::string llvmIR;
  llvm::Expected<std::string> code = emitSharedObject(module, host, wantIR ? &llvmIR : nullptr);
  if (!code)
    return fail(llvm::toString(code.takeError()));
  if (wantIR)
    return printText(options, [&](llvm::raw_ostream &os) { os << llvmIR; });

  std::string output = options.outputPath.empty() ? "model.tern" : options.outputPath;
  ctx.progress.step("writing " + output);
  std::string error;
  nlohmann::json manifest = manifestFor(ctx.config, *gpu, host, options, std::move(listed),
                                        weightsBytes, randomSeed);
  if (!writeArtifact(output, manifest.dump(2), code->data(), code->size(), weights.data(),
                     weights.size(), &error))
    return fail(error);
  ctx.progress.step(llvm::formatv("done: {0} bytes of code, {1} bytes of weights{2}", code->size(),
                                  weights.size(),
                                  randomSeed ? " (synthesized at load: --random-weights)" : "")
                        .str());
  return 0;
}

} // namespace

Backend cudaBackend() {
  return Backend{
      [](llvm::StringRef target) { return parseCUDATarget(target).has_value(); },
      "cuda, cuda-sm_80, cuda-sm_90",
      {{"linalg", "after convert-tern-to-linalg"},
       {"bufferize", "bufferized into device memory"},
       {"gpu", "kernels outlined into one gpu.module, weights moved out"},
       {"llvm", "host code in the LLVM dialect, kernels as PTX in a gpu.binary"},
       {"ptx", "the PTX of the kernels"},
       {"llvm-ir", "optimised LLVM IR of the host code"}},
      compileCUDA,
  };
}

} // namespace tern
