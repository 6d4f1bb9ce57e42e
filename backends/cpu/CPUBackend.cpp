//===- CPUBackend.cpp - ternc's CPU target --------------------------------===//
#include "backends/cpu/CPUBackend.h"

#include "backends/cpu/CPUCodegen.h"
#include "backends/cpu/CPUPipeline.h"
#include "backends/cpu/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Import/HGRNImporter.h"
#include "dialects/Tern/IR/WeightData.h"
#include "tern/artifact.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

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

/// The manifest's dtype of a tensor element type; "" for the types the
/// runtime cannot pass (docs/artifact.md, "functions").
std::string dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  for (unsigned width : {8u, 16u, 32u, 64u})
    if (type.isSignlessInteger(width))
      return "i" + std::to_string(width);
  return "";
}

/// The runtime calls through at most this many pointers (results, weights,
/// arguments) and passes tensors of at most this rank (runtime/src/model.cpp).
constexpr unsigned kMaxCallPointers = 16;
constexpr int64_t kMaxTensorRank = 8;

/// Describes every public function of an MLIR module for the manifest's
/// "functions" and gives it a C interface (llvm.emit_c_interface).
FailureOr<nlohmann::json> describePublicFunctions(ModuleOp module) {
  nlohmann::json functions = nlohmann::json::array();
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || !fn.isPublic())
      continue;
    auto describe = [&](TypeRange types, StringRef what, nlohmann::json &out) -> LogicalResult {
      for (auto [i, type] : llvm::enumerate(types)) {
        auto tensor = dyn_cast<RankedTensorType>(type);
        std::string dtype = tensor ? dtypeName(tensor.getElementType()) : "";
        if (dtype.empty() || tensor.getRank() > kMaxTensorRank)
          return fn.emitError() << "function @" << fn.getSymName() << ": " << what << " " << i
                                << " has type " << type
                                << "; a compiled function takes and returns ranked tensors (rank <= "
                                << kMaxTensorRank << ") of f32, f64, i8, i16, i32 or i64";
        nlohmann::json shape = nlohmann::json::array();
        for (int64_t d : tensor.getShape())
          shape.push_back(ShapedType::isDynamic(d) ? int64_t(-1) : d);
        out.push_back({{"dtype", dtype}, {"shape", std::move(shape)}});
      }
      return success();
    };
    nlohmann::json arguments = nlohmann::json::array(), results = nlohmann::json::array();
    if (failed(describe(fn.getArgumentTypes(), "argument", arguments)) ||
        failed(describe(fn.getResultTypes(), "result", results)))
      return failure();
    unsigned pointers = fn.getNumArguments() + 1 + (fn.getNumResults() ? 1 : 0);
    if (pointers > kMaxCallPointers)
      return fn.emitError() << "function @" << fn.getSymName() << " has "
                            << fn.getNumArguments() << " arguments; the runtime calls "
                            << "functions with at most " << kMaxCallPointers - 2;
    fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(fn.getContext()));
    // The caller's tensors are read-only: bufferization copies instead of writing into them.
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      fn.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                    BoolAttr::get(fn.getContext(), false));
    std::string name = fn.getSymName().str();
    functions.push_back({{"name", name},
                         {"symbol", "_mlir_ciface_" + name},
                         {"arguments", std::move(arguments)},
                         {"results", std::move(results)}});
  }
  if (functions.empty())
    return module.emitError("the module has no public func.func with a body to compile");
  return functions;
}

/// The manifest of a compiled MLIR module: its functions instead of a model.
nlohmann::json mlirManifestFor(const CPUTarget &target, const DriverOptions &options,
                               nlohmann::json functions, nlohmann::json weights) {
  return {
      {"format_version", 1},
      {"producer", "ternc 0.1.0"},
      {"kind", "mlir"},
      {"abi", "memref-v1"},
      {"target", {{"triple", target.triple}, {"cpu", target.cpu}, {"features", target.features}}},
      {"functions", std::move(functions)},
      {"packing", options.packing},
      {"weights", std::move(weights)},
  };
}

/// The checkpoint's SentencePiece tokenizer.model, which the artifact carries so that tern-run
/// needs nothing else (docs/artifact.md). Null when the directory has none.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readTokenizer(llvm::StringRef modelDir) {
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, "tokenizer.model");
  if (!llvm::sys::fs::is_directory(modelDir) || !llvm::sys::fs::exists(path))
    return nullptr;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), llvm::Twine(path) + ": cannot read: " +
                                                          buffer.getError().message());
  if ((*buffer)->getBufferSize() == 0)
    return llvm::createStringError(std::make_error_code(std::errc::invalid_argument),
                                   llvm::Twine(path) + ": is empty");
  return std::move(*buffer);
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
        {"decode", std::string("_mlir_ciface_") + kDecodeFunction},
        {"decode_batch", std::string("_mlir_ciface_") + kDecodeBatchFunction}}},
      {"state", {{"shape", {config.numLayers, config.hiddenSize}}, {"dtype", "f32"}}},
      {"packing", options.packing},
      {"weights", std::move(weights)},
      {"tokenizer", nullptr},
  };
}

int compileCPU(ModuleOp module, const DriverContext &ctx) {
  const DriverOptions &options = ctx.options;
  // An MLIR module's public functions are its entry points; describe them on
  // tensors, before bufferization turns them into memrefs.
  nlohmann::json functions;
  if (ctx.input == InputKind::MLIRModule) {
    FailureOr<nlohmann::json> described = describePublicFunctions(module);
    if (failed(described))
      return fail("cannot compile this module's functions (see above)");
    functions = std::move(*described);
  }
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
  CPUTarget target = *CPUTarget::named(options.target); // accepts() admitted the name
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
  nlohmann::json manifest =
      ctx.input == InputKind::MLIRModule
          ? mlirManifestFor(target, options, std::move(functions), std::move(manifestWeights))
          : manifestFor(ctx.config, target, options, std::move(manifestWeights));
  // The runtime kernels the code calls through its slots (runtime/src/kernel_dispatch.h).
  if (auto kernels = module->getAttrOfType<ArrayAttr>(mlir::tern::kKernelsAttr)) {
    manifest["kernels"] = nlohmann::json::array();
    for (auto name : kernels.getAsValueRange<StringAttr>())
      manifest["kernels"].push_back(name.str());
  }
  ArtifactTokenizer tokenizer;
  std::unique_ptr<llvm::MemoryBuffer> tokenizerBytes;
  if (ctx.input == InputKind::Checkpoint) {
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> read = readTokenizer(options.inputPath);
    if (!read)
      return fail(llvm::toString(read.takeError()));
    if ((tokenizerBytes = std::move(*read))) {
      tokenizer.data = tokenizerBytes->getBufferStart();
      tokenizer.size = tokenizerBytes->getBufferSize();
    }
  }
  if (!writeArtifact(output, manifest.dump(2), code->data(), code->size(), weights.data(),
                     weights.size(), tokenizer, &error))
    return fail(error);
  ctx.progress.step(llvm::formatv("done: {0} bytes of code, {1} bytes of weights", code->size(),
                                  weights.size())
                        .str());
  return 0;
}

} // namespace

Backend cpuBackend() {
  return Backend{
      [](llvm::StringRef target) { return CPUTarget::named(target).has_value(); },
      CPUTarget::names(),
      {{"linalg", "after convert-tern-to-linalg"},
       {"bufferize", "bufferized, weights moved out of the code"},
       {"llvm", "the LLVM dialect"},
       {"llvm-ir", "optimised LLVM IR"}},
      compileCPU,
      // The microkernels' layouts (runtime/kernels/ternary_kernels.h): two_bit_tiled, unless
      // the target has the AVX-512 VBMI kernels of base3_tiled (CPUTarget::defaultPacking).
      "two_bit_tiled",
      [](llvm::StringRef target) { return CPUTarget::named(target)->defaultPacking(); },
  };
}

} // namespace tern
