//===- ModelConfig.cpp - HGRNBit config.json ------------------------------===//

#include "compiler/Import/ModelConfig.h"

#include "compiler/Import/JsonUtil.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <optional>

using nlohmann::json;

namespace tern {
namespace {

// Bounds far above any released model; they keep a corrupt or hostile config
// from making later code allocate or multiply its way into overflow.
constexpr int64_t kMaxHiddenSize = int64_t(1) << 16;
constexpr int64_t kMaxVocabSize = int64_t(1) << 22;
constexpr int64_t kMaxNumLayers = 1024;
constexpr int64_t kMaxHiddenRatio = 16;
constexpr int64_t kMaxIntermediateSize = int64_t(1) << 20;
// Released configs are about 1 KB; this bounds the JSON tree a file can make.
constexpr uint64_t kMaxConfigBytes = uint64_t(16) << 20;

/// Reads typed fields from the config object, remembering only the first
/// problem so the caller can check once at the end instead of after each
/// field.
class FieldReader {
public:
  FieldReader(const json &object, llvm::StringRef path)
      : object(object), path(path.str()) {}

  /// A required integer in [1, max].
  int64_t requiredPositive(const char *key, int64_t max) {
    if (!object.contains(key)) {
      fail(std::string("field '") + key + "' is missing");
      return 1;
    }
    return positive(key, max);
  }

  /// An optional integer in [1, max]; null or absent gives `fallback`.
  int64_t optionalPositive(const char *key, int64_t fallback, int64_t max) {
    if (isAbsent(key))
      return fallback;
    return positive(key, max);
  }

  /// An optional integer in [0, limit); null or absent gives `fallback`,
  /// which must be in range too (a tiny vocabulary has no token 2).
  int64_t optionalIndex(const char *key, int64_t fallback, int64_t limit,
                        const char *limitName) {
    if (isAbsent(key)) {
      if (fallback >= limit)
        fail(std::string("field '") + key + "' is absent and its default " +
             std::to_string(fallback) + " is outside [0, " + limitName + " = " +
             std::to_string(limit) + "); set it explicitly");
      return fallback;
    }
    std::optional<int64_t> value = integer(key);
    if (value && (*value < 0 || *value >= limit))
      fail(std::string("field '") + key + "' is " + std::to_string(*value) +
           ", outside [0, " + limitName + " = " + std::to_string(limit) + ")");
    return value.value_or(fallback);
  }

  bool optionalBool(const char *key, bool fallback) {
    if (isAbsent(key))
      return fallback;
    const json &value = object[key];
    if (!value.is_boolean()) {
      fail(std::string("field '") + key + "' must be a boolean, got " +
           json_util::describeType(value));
      return fallback;
    }
    return value.get<bool>();
  }

  /// An optional finite number > 0; integers are accepted too.
  double optionalPositiveNumber(const char *key, double fallback) {
    if (isAbsent(key))
      return fallback;
    const json &value = object[key];
    if (!value.is_number()) {
      fail(std::string("field '") + key + "' must be a number, got " +
           json_util::describeType(value));
      return fallback;
    }
    double number = value.get<double>();
    if (!std::isfinite(number) || number <= 0) {
      fail(std::string("field '") + key + "' must be a positive number, got " +
           value.dump());
      return fallback;
    }
    return number;
  }

  std::string optionalString(const char *key, const char *fallback) {
    if (isAbsent(key))
      return fallback;
    const json &value = object[key];
    if (!value.is_string()) {
      fail(std::string("field '") + key + "' must be a string, got " +
           json_util::describeType(value));
      return fallback;
    }
    return value.get<std::string>();
  }

  bool isAbsent(const char *key) const {
    return !object.contains(key) || object[key].is_null();
  }

  void fail(const std::string &message) {
    if (!firstError)
      firstError = path + ": " + message;
  }

  llvm::Error takeError() {
    if (!firstError)
      return llvm::Error::success();
    return llvm::createStringError(*firstError);
  }

private:
  std::optional<int64_t> integer(const char *key) {
    const json &value = object[key];
    std::optional<int64_t> result = json_util::asInt64(value);
    if (!result)
      fail(std::string("field '") + key + "' must be an integer, got " +
           (value.is_number() ? value.dump() : json_util::describeType(value)));
    return result;
  }

  int64_t positive(const char *key, int64_t max) {
    std::optional<int64_t> value = integer(key);
    if (!value)
      return 1;
    if (*value <= 0) {
      fail(std::string("field '") + key + "' must be positive, got " +
           std::to_string(*value));
      return 1;
    }
    if (*value > max) {
      fail(std::string("field '") + key + "' is " + std::to_string(*value) +
           ", more than tern accepts (" + std::to_string(max) + ")");
      return 1;
    }
    return *value;
  }

  const json &object;
  std::string path;
  std::optional<std::string> firstError;
};

llvm::Error unsupported(llvm::StringRef path, const llvm::Twine &what,
                        const llvm::Twine &why) {
  return llvm::createStringError(llvm::Twine(path) + ": " + what +
                                 ": not supported by tern (" + why + ")");
}

} // namespace

int64_t deriveIntermediateSize(int64_t hiddenSize, int64_t hiddenRatio) {
  // Integer floor equals Python's int() of the float quotient for positive
  // operands, and avoids any float rounding question.
  int64_t raw = hiddenSize * hiddenRatio * 2 / 3;
  return (raw + 255) / 256 * 256;
}

llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef text,
                                             llvm::StringRef path) {
  llvm::Expected<json> parsed = json_util::parseJson(text, path);
  if (!parsed)
    return parsed.takeError();
  const json &root = *parsed;
  if (!root.is_object())
    return llvm::createStringError(llvm::Twine(path) +
                                   ": expected a JSON object, got " +
                                   json_util::describeType(root));

  // Checked first: for another architecture every later message would mislead.
  if (!root.contains("model_type"))
    return llvm::createStringError(llvm::Twine(path) +
                                   ": field 'model_type' is missing");
  if (!root["model_type"].is_string() ||
      root["model_type"].get<std::string>() != "hgrn_bit")
    return llvm::createStringError(
        llvm::Twine(path) + ": field 'model_type' is " +
        json_util::excerpt(root["model_type"]) +
        ", expected \"hgrn_bit\" (tern compiles HGRNBit MatMul-free LMs only)");

  ModelConfig config;
  config.modelType = "hgrn_bit";
  FieldReader reader(root, path);
  config.hiddenSize = reader.requiredPositive("hidden_size", kMaxHiddenSize);
  config.numLayers =
      reader.requiredPositive("num_hidden_layers", kMaxNumLayers);
  config.vocabSize = reader.requiredPositive("vocab_size", kMaxVocabSize);
  config.numHeads = reader.optionalPositive("num_heads", 1, kMaxHiddenSize);
  config.expandRatio =
      reader.optionalPositive("expand_ratio", 1, kMaxHiddenSize);
  config.hiddenRatio =
      reader.optionalPositive("hidden_ratio", 4, kMaxHiddenRatio);
  // Derived only after hidden_size/hidden_ratio are known to be in range, so
  // the product cannot overflow.
  int64_t derived =
      deriveIntermediateSize(config.hiddenSize, config.hiddenRatio);
  config.intermediateSize = reader.optionalPositive(
      "intermediate_size", derived, kMaxIntermediateSize);
  if (config.intermediateSize > kMaxIntermediateSize)
    reader.fail("derived intermediate size " +
                std::to_string(config.intermediateSize) +
                " is more than tern accepts (" +
                std::to_string(kMaxIntermediateSize) + ")");
  config.bosTokenId =
      reader.optionalIndex("bos_token_id", 1, config.vocabSize, "vocab_size");
  config.eosTokenId =
      reader.optionalIndex("eos_token_id", 2, config.vocabSize, "vocab_size");
  config.rmsNormEps = reader.optionalPositiveNumber("rms_norm_eps", 1e-6);
  config.useLowerBound = reader.optionalBool("use_lower_bound", true);
  config.useShortConv = reader.optionalBool("use_short_conv", false);
  config.tieWordEmbeddings = reader.optionalBool("tie_word_embeddings", false);
  config.torchDtype = reader.optionalString("torch_dtype", "bfloat16");
  if (llvm::Error error = reader.takeError())
    return error;

  if (config.useShortConv)
    return unsupported(path, "use_short_conv is true",
                       "model-spec.md defines the token mixer without the "
                       "short convolution, as in the released checkpoints");
  if (config.numHeads != 1)
    return unsupported(path, "num_heads is " + llvm::Twine(config.numHeads),
                       "the MLGRU recurrence is compiled for a single head, "
                       "as in the released checkpoints");
  if (config.expandRatio != 1)
    return unsupported(path,
                       "expand_ratio is " + llvm::Twine(config.expandRatio),
                       "the token mixer is compiled with i/f/g projections of "
                       "width hidden_size, as in the released checkpoints");
  if (config.tieWordEmbeddings)
    return unsupported(path, "tie_word_embeddings is true",
                       "lm_head is a BitLinear with its own latent weights "
                       "and RMSNorm, so it cannot share the embedding table");
  return config;
}

llvm::Expected<ModelConfig> readModelConfig(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(
        llvm::Twine(path) + ": cannot read: " + buffer.getError().message());
  if ((*buffer)->getBufferSize() > kMaxConfigBytes)
    return llvm::createStringError(
        llvm::Twine(path) + ": " + llvm::Twine((*buffer)->getBufferSize()) +
        " bytes, more than the 16 MiB a config.json may have");
  return parseModelConfig((*buffer)->getBuffer(), path);
}

} // namespace tern
