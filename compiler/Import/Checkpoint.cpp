//===- Checkpoint.cpp - a validated HGRNBit checkpoint directory ----------===//

#include "compiler/Import/Checkpoint.h"

#include "compiler/Import/JsonUtil.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <map>

using nlohmann::json;

namespace tern {
namespace {

constexpr const char *kSingleFileName = "model.safetensors";
constexpr const char *kIndexFileName = "model.safetensors.index.json";
/// Enough tensor problems to see a pattern (say, a wrong num_hidden_layers)
/// without burying the first one.
constexpr size_t kMaxReportedProblems = 8;
/// The safetensors header limit (SafeTensors.cpp): an index lists the same
/// tensors, one line each.
constexpr uint64_t kMaxIndexBytes = 100u * 1000u * 1000u;

std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// The mapped weight files and, for each tensor, the view inside one of them.
struct LoadedWeights {
  std::vector<std::unique_ptr<SafeTensorsFile>> files;
  llvm::StringMap<const TensorView *> byName;
  /// The file that says which tensors exist: model.safetensors or the index.
  std::string source;
};

llvm::Error loadSingleFile(const std::string &path, LoadedWeights &weights) {
  auto file = SafeTensorsFile::open(path);
  if (!file)
    return file.takeError();
  for (const TensorView &view : (*file)->tensors())
    weights.byName[view.name] = &view;
  weights.files.push_back(std::move(*file));
  weights.source = path;
  return llvm::Error::success();
}

/// Reads the index's weight_map (tensor name -> shard file name).
llvm::Expected<std::map<std::string, std::string>>
readWeightMap(const std::string &indexPath) {
  auto buffer = llvm::MemoryBuffer::getFile(indexPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(
        indexPath + ": cannot read: " + buffer.getError().message());
  if ((*buffer)->getBufferSize() > kMaxIndexBytes)
    return llvm::createStringError(
        indexPath + ": " + llvm::Twine((*buffer)->getBufferSize()) +
        " bytes, more than the 100 MB limit for an index");
  return parseShardIndex((*buffer)->getBuffer(), indexPath);
}

/// Opens every shard the index names, once each, and checks that the index
/// and the shards agree tensor by tensor.
llvm::Error loadShards(llvm::StringRef modelDir, const std::string &indexPath,
                       LoadedWeights &weights) {
  auto weightMap = readWeightMap(indexPath);
  if (!weightMap)
    return weightMap.takeError();

  std::map<std::string, const SafeTensorsFile *> shardsByName;
  for (const auto &[tensorName, shardName] : *weightMap) {
    if (shardsByName.count(shardName))
      continue;
    std::string shardPath = joinPath(modelDir, shardName);
    if (!llvm::sys::fs::exists(shardPath))
      return llvm::createStringError(
          indexPath + ": lists shard '" + shardName + "' (for tensor '" +
          tensorName + "'), but " + shardPath + " does not exist");
    auto shard = SafeTensorsFile::open(shardPath);
    if (!shard)
      return shard.takeError();
    shardsByName[shardName] = shard->get();
    weights.files.push_back(std::move(*shard));
  }

  for (const auto &[tensorName, shardName] : *weightMap) {
    const SafeTensorsFile *shard = shardsByName[shardName];
    const TensorView *view = shard->find(tensorName);
    if (!view)
      return llvm::createStringError(
          indexPath + ": maps tensor '" + tensorName + "' to " + shard->path() +
          ", which has no tensor '" + tensorName + "'");
    weights.byName[tensorName] = view;
  }
  // A tensor the index does not place in this shard would be silently
  // ignored by loaders that trust the index; refuse the ambiguity.
  for (const auto &[shardName, shard] : shardsByName) {
    for (const TensorView &view : shard->tensors()) {
      auto listed = weightMap->find(view.name);
      if (listed == weightMap->end())
        return llvm::createStringError("tensor '" + view.name + "' in " +
                                       shard->path() + " is not listed in " +
                                       indexPath);
      if (listed->second != shardName)
        return llvm::createStringError("tensor '" + view.name + "' is in " +
                                       shard->path() + ", but " + indexPath +
                                       " maps it to " + listed->second);
    }
  }
  weights.source = indexPath;
  return llvm::Error::success();
}

llvm::Error loadWeights(llvm::StringRef modelDir, LoadedWeights &weights) {
  // Like Hugging Face, prefer the single file when both are present.
  std::string singlePath = joinPath(modelDir, kSingleFileName);
  if (llvm::sys::fs::exists(singlePath))
    return loadSingleFile(singlePath, weights);
  std::string indexPath = joinPath(modelDir, kIndexFileName);
  if (llvm::sys::fs::exists(indexPath))
    return loadShards(modelDir, indexPath, weights);
  std::string message = "no weights in " + modelDir.str() + ": expected " +
                        kSingleFileName + " or " + kIndexFileName;
  if (llvm::sys::fs::exists(joinPath(modelDir, "pytorch_model.bin")))
    message += " (pytorch_model.bin is present, but tern reads only "
               "safetensors; convert the checkpoint)";
  return llvm::createStringError(message);
}

/// A hint for an unexpected tensor that a config mismatch would explain.
std::string unexpectedTensorHint(llvm::StringRef name,
                                 const ModelConfig &config) {
  if (name == "model.lower_bounds" && !config.useLowerBound)
    return " (config.json sets use_lower_bound to false)";
  llvm::StringRef rest = name;
  uint64_t layer;
  if (rest.consume_front("model.layers.") && !rest.consumeInteger(10, layer) &&
      layer >= static_cast<uint64_t>(config.numLayers))
    return " (config.json has num_hidden_layers = " +
           std::to_string(config.numLayers) + ")";
  return "";
}

/// Checks that the tensors are exactly those of expectedTensors(config).
/// One problem is reported as is; several get a summary line, then a sample
/// with wrong shapes and unexpected tensors first: after a config/weights
/// mismatch the missing tensors alone would fill the sample.
llvm::Error validateTensorSet(const ModelConfig &config,
                              const std::string &configPath,
                              const LoadedWeights &weights) {
  std::vector<std::string> missing, unexpected, misshapen;
  llvm::StringSet<> expectedNames;
  for (const auto &[name, shape] : Checkpoint::expectedTensors(config)) {
    expectedNames.insert(name);
    auto it = weights.byName.find(name);
    if (it == weights.byName.end()) {
      missing.push_back("missing tensor " + name + " (expected shape " +
                        formatShape(shape) + ") in " + weights.source);
      continue;
    }
    const TensorView &view = *it->second;
    if (view.shape != shape)
      misshapen.push_back("tensor " + name + " in " + view.file +
                          " has shape " + formatShape(view.shape) +
                          ", expected " + formatShape(shape));
  }
  // Sorted so the report is deterministic (StringMap order is not).
  std::vector<std::string> extraNames;
  for (const auto &entry : weights.byName)
    if (!expectedNames.contains(entry.getKey()))
      extraNames.push_back(entry.getKey().str());
  std::sort(extraNames.begin(), extraNames.end());
  for (const std::string &name : extraNames)
    unexpected.push_back("unexpected tensor " + name + " in " +
                         weights.byName.lookup(name)->file +
                         unexpectedTensorHint(name, config));

  std::vector<std::string> problems = misshapen;
  problems.insert(problems.end(), unexpected.begin(), unexpected.end());
  problems.insert(problems.end(), missing.begin(), missing.end());
  if (problems.empty())
    return llvm::Error::success();
  if (problems.size() == 1)
    return llvm::createStringError(problems.front());

  std::string message =
      "the tensors in " + weights.source + " do not match " + configPath +
      " (hidden_size " + std::to_string(config.hiddenSize) +
      ", num_hidden_layers " + std::to_string(config.numLayers) +
      ", vocab_size " + std::to_string(config.vocabSize) +
      ", intermediate size " + std::to_string(config.intermediateSize) +
      "): " + std::to_string(misshapen.size()) + " with a wrong shape, " +
      std::to_string(unexpected.size()) + " unexpected, " +
      std::to_string(missing.size()) + " missing";
  for (size_t i = 0; i < problems.size() && i < kMaxReportedProblems; ++i)
    message += "\n  " + problems[i];
  if (problems.size() > kMaxReportedProblems)
    message += "\n  (and " +
               std::to_string(problems.size() - kMaxReportedProblems) +
               " more)";
  return llvm::createStringError(message);
}

} // namespace

llvm::Expected<std::map<std::string, std::string>>
parseShardIndex(llvm::StringRef text, llvm::StringRef indexPath) {
  auto index = json_util::parseJson(text, indexPath);
  if (!index)
    return index.takeError();
  if (!index->is_object() || !index->contains("weight_map") ||
      !(*index)["weight_map"].is_object())
    return llvm::createStringError(
        indexPath + ": expected a JSON object with a 'weight_map' object");
  std::map<std::string, std::string> weightMap;
  for (const auto &item : (*index)["weight_map"].items()) {
    const json &shard = item.value();
    // Shards sit beside the index; a path elsewhere is corrupt or hostile.
    // (No separator at all: path::filename("/") is "/", which the fuzzer
    // found accepted.)
    if (!shard.is_string() || shard.get<std::string>().empty() ||
        llvm::any_of(shard.get<std::string>(),
                     [](char c) { return llvm::sys::path::is_separator(c); }) ||
        shard.get<std::string>() == "." || shard.get<std::string>() == "..")
      return llvm::createStringError(
          indexPath + ": weight_map entry for tensor '" + item.key() +
          "' must be a file name in the model directory, got " +
          json_util::excerpt(shard));
    weightMap[item.key()] = shard.get<std::string>();
  }
  return weightMap;
}

std::vector<std::pair<std::string, std::vector<int64_t>>>
Checkpoint::expectedTensors(const ModelConfig &config) {
  const int64_t H = config.hiddenSize, I = config.intermediateSize;
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
  tensors.push_back({"model.embeddings.weight", {config.vocabSize, H}});
  if (config.useLowerBound)
    tensors.push_back({"model.lower_bounds", {config.numLayers, H}});
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string prefix = "model.layers." + std::to_string(layer) + ".";
    // Every BitLinear carries its own RMSNorm over its input features.
    auto bitLinear = [&](const std::string &name, int64_t rows, int64_t cols) {
      tensors.push_back({prefix + name + ".weight", {rows, cols}});
      tensors.push_back({prefix + name + ".norm.weight", {cols}});
    };
    tensors.push_back({prefix + "attn_norm.weight", {H}});
    bitLinear("attn.i_proj", H, H);
    bitLinear("attn.f_proj", H, H);
    bitLinear("attn.g_proj", H, H);
    bitLinear("attn.o_proj", H, H);
    tensors.push_back({prefix + "attn.g_norm.weight", {H}});
    tensors.push_back({prefix + "mlp_norm.weight", {H}});
    bitLinear("mlp.gate_proj", 2 * I, H);
    bitLinear("mlp.down_proj", H, I);
  }
  tensors.push_back({"model.norm.weight", {H}});
  tensors.push_back({"lm_head.weight", {config.vocabSize, H}});
  tensors.push_back({"lm_head.norm.weight", {H}});
  return tensors;
}

llvm::Expected<std::unique_ptr<Checkpoint>>
Checkpoint::open(llvm::StringRef modelDir) {
  if (!llvm::sys::fs::exists(modelDir))
    return llvm::createStringError("model directory " + modelDir +
                                   " does not exist");
  if (!llvm::sys::fs::is_directory(modelDir))
    return llvm::createStringError(modelDir +
                                   " is not a directory (expected a model "
                                   "directory with config.json)");

  std::string configPath = joinPath(modelDir, "config.json");
  auto config = readModelConfig(configPath);
  if (!config)
    return config.takeError();
  LoadedWeights weights;
  if (llvm::Error error = loadWeights(modelDir, weights))
    return error;
  if (llvm::Error error = validateTensorSet(*config, configPath, weights))
    return error;

  std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
  checkpoint->modelDir = modelDir.str();
  checkpoint->modelConfig = std::move(*config);
  checkpoint->files = std::move(weights.files);
  checkpoint->tensorsByName = std::move(weights.byName);
  return checkpoint;
}

const TensorView &Checkpoint::tensor(llvm::StringRef name) const {
  auto it = tensorsByName.find(name);
  // Kept in release builds: a wrong name is a programming error that would
  // otherwise read through an end iterator.
  if (it == tensorsByName.end())
    llvm::report_fatal_error(llvm::Twine("tern::Checkpoint::tensor: no tensor "
                                         "named '") +
                             name + "'");
  return *it->second;
}

std::vector<std::string> Checkpoint::tensorNames() const {
  std::vector<std::string> names;
  for (auto &[name, shape] : expectedTensors(modelConfig))
    names.push_back(std::move(name));
  return names;
}

} // namespace tern
