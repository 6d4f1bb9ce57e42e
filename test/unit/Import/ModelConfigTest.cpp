//===- ModelConfigTest.cpp - tests of config.json parsing -----------------===//
//
// Derived sizes, defaults, and every refusal of readModelConfig.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ModelConfig.h"

#include "TestHelpers.h"

using namespace tern;
using namespace tern::test;

namespace {

std::string parseError(const json &config) {
  return errorOf(parseModelConfig(config.dump(), "dir/config.json"));
}

TEST(ModelConfigTest, DerivesIntermediateSizeOfReleasedModels) {
  EXPECT_EQ(deriveIntermediateSize(1024, 4), 2816);
  EXPECT_EQ(deriveIntermediateSize(2048, 4), 5632);
  EXPECT_EQ(deriveIntermediateSize(2560, 4), 6912);
  for (auto [hidden, expected] : std::vector<std::pair<int64_t, int64_t>>{
           {1024, 2816}, {2048, 5632}, {2560, 6912}}) {
    json config = releasedConfig();
    config["hidden_size"] = hidden;
    auto parsed = parseModelConfig(config.dump(), "config.json");
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    EXPECT_EQ(parsed->intermediateSize, expected);
    // Absent behaves like null.
    config.erase("intermediate_size");
    parsed = parseModelConfig(config.dump(), "config.json");
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    EXPECT_EQ(parsed->intermediateSize, expected);
  }
}

TEST(ModelConfigTest, ReadsReleasedConfig) {
  auto config = parseModelConfig(releasedConfig().dump(), "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->modelType, "hgrn_bit");
  EXPECT_EQ(config->hiddenSize, 1024);
  EXPECT_EQ(config->numLayers, 24);
  EXPECT_EQ(config->vocabSize, 32000);
  EXPECT_EQ(config->intermediateSize, 2816);
  EXPECT_EQ(config->numHeads, 1);
  EXPECT_EQ(config->expandRatio, 1);
  EXPECT_EQ(config->hiddenRatio, 4);
  EXPECT_EQ(config->bosTokenId, 1);
  EXPECT_EQ(config->eosTokenId, 2);
  EXPECT_DOUBLE_EQ(config->rmsNormEps, 1e-6);
  EXPECT_TRUE(config->useLowerBound);
  EXPECT_FALSE(config->useShortConv);
  EXPECT_FALSE(config->tieWordEmbeddings);
  EXPECT_EQ(config->torchDtype, "bfloat16");
}

TEST(ModelConfigTest, AppliesDefaultsForAbsentOptionalFields) {
  json minimal = {{"model_type", "hgrn_bit"},
                  {"hidden_size", 2048},
                  {"num_hidden_layers", 24},
                  {"vocab_size", 32000}};
  auto config = parseModelConfig(minimal.dump(), "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->intermediateSize, 5632);
  EXPECT_EQ(config->numHeads, 1);
  EXPECT_EQ(config->expandRatio, 1);
  EXPECT_EQ(config->hiddenRatio, 4);
  EXPECT_EQ(config->bosTokenId, 1);
  EXPECT_EQ(config->eosTokenId, 2);
  EXPECT_DOUBLE_EQ(config->rmsNormEps, 1e-6);
  EXPECT_TRUE(config->useLowerBound);
  EXPECT_FALSE(config->useShortConv);
  EXPECT_FALSE(config->tieWordEmbeddings);
  EXPECT_EQ(config->torchDtype, "bfloat16");
}

TEST(ModelConfigTest, ExplicitIntermediateSizeWins) {
  json config = releasedConfig();
  config["intermediate_size"] = 3000;
  auto parsed = parseModelConfig(config.dump(), "config.json");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->intermediateSize, 3000);
}

TEST(ModelConfigTest, RejectsInvalidJsonWithPosition) {
  std::string message = errorOf(
      parseModelConfig("{\"hidden_size\": 12,\n oops}", "m/config.json"));
  EXPECT_NE(message.find("m/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
}

TEST(ModelConfigTest, RejectsNonObject) {
  std::string message = errorOf(parseModelConfig("[1, 2]", "m/config.json"));
  EXPECT_NE(message.find("m/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("object"), std::string::npos) << message;
}

TEST(ModelConfigTest, RejectsOtherModelTypes) {
  json config = releasedConfig();
  config["model_type"] = "llama";
  std::string message = parseError(config);
  EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("model_type"), std::string::npos) << message;
  EXPECT_NE(message.find("llama"), std::string::npos) << message;
  config.erase("model_type");
  message = parseError(config);
  EXPECT_NE(message.find("'model_type' is missing"), std::string::npos)
      << message;
}

TEST(ModelConfigTest, RejectsBadRequiredIntegers) {
  for (const char *field : {"hidden_size", "num_hidden_layers", "vocab_size"}) {
    SCOPED_TRACE(field);
    json config = releasedConfig();
    config.erase(field);
    std::string message = parseError(config);
    EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("'") + field + "' is missing"),
              std::string::npos)
        << message;

    for (json bad : {json("1024"), json(10.5), json(true), json(nullptr)}) {
      config[field] = bad;
      message = parseError(config);
      EXPECT_NE(message.find(field), std::string::npos) << message;
      EXPECT_NE(message.find("must be an integer"), std::string::npos)
          << message;
    }
    for (json bad : {json(0), json(-4)}) {
      config[field] = bad;
      message = parseError(config);
      EXPECT_NE(message.find(field), std::string::npos) << message;
      EXPECT_NE(message.find("must be positive"), std::string::npos) << message;
    }
  }
}

TEST(ModelConfigTest, RejectsAbsurdSizes) {
  for (auto [field, value] : std::vector<std::pair<const char *, int64_t>>{
           {"hidden_size", (int64_t(1) << 16) + 1},
           {"vocab_size", (int64_t(1) << 22) + 1},
           {"num_hidden_layers", 1025},
           {"intermediate_size", int64_t(1) << 40}}) {
    SCOPED_TRACE(field);
    json config = releasedConfig();
    config[field] = value;
    std::string message = parseError(config);
    EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(field), std::string::npos) << message;
    EXPECT_NE(message.find("more than tern accepts"), std::string::npos)
        << message;
  }
  // Larger than int64 altogether.
  std::string text = releasedConfig().dump();
  text.replace(text.find("\"vocab_size\":32000"), 18,
               "\"vocab_size\":18446744073709551615");
  std::string message = errorOf(parseModelConfig(text, "dir/config.json"));
  EXPECT_NE(message.find("vocab_size"), std::string::npos) << message;
}

TEST(ModelConfigTest, RejectsBadOptionalFields) {
  json config = releasedConfig();
  config["use_lower_bound"] = "yes";
  EXPECT_NE(parseError(config).find("'use_lower_bound' must be a boolean"),
            std::string::npos);
  config = releasedConfig();
  config["rms_norm_eps"] = -1;
  EXPECT_NE(parseError(config).find("rms_norm_eps"), std::string::npos);
  config = releasedConfig();
  config["eos_token_id"] = 32000;
  EXPECT_NE(parseError(config).find("eos_token_id"), std::string::npos);
  config = releasedConfig();
  config["hidden_ratio"] = 0;
  EXPECT_NE(parseError(config).find("hidden_ratio"), std::string::npos);
}

TEST(ModelConfigTest, RejectsUnsupportedVariants) {
  for (auto [field, value] : std::vector<std::pair<const char *, json>>{
           {"use_short_conv", true},
           {"num_heads", 4},
           {"expand_ratio", 2},
           {"tie_word_embeddings", true}}) {
    SCOPED_TRACE(field);
    json config = releasedConfig();
    config[field] = value;
    std::string message = parseError(config);
    EXPECT_NE(message.find("dir/config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(field), std::string::npos) << message;
    EXPECT_NE(message.find("not supported by tern ("), std::string::npos)
        << message;
  }
}

TEST_F(TempDirTest, ReadModelConfigFromFile) {
  std::string path = write("config.json", releasedConfig().dump(2));
  auto config = readModelConfig(path);
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->hiddenSize, 1024);

  std::string missing = pathOf("nope.json");
  std::string message = errorOf(readModelConfig(missing));
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  EXPECT_NE(message.find("cannot read"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Hardening (docs/hardening.md)
//===----------------------------------------------------------------------===//

// Found by the model-config fuzzer (fuzz/corpus/model-config/
// regress-default-eos-outside-vocab.json): with vocab_size 2 and no
// eos_token_id, the default 2 was accepted and written into the artifact.
TEST(ModelConfigTest, RejectsDefaultTokenIdsOutsideATinyVocabulary) {
  json config = releasedConfig();
  config.erase("eos_token_id");
  config["vocab_size"] = 2;
  EXPECT_EQ(parseError(config),
            "dir/config.json: field 'eos_token_id' is absent and its default "
            "2 is outside [0, vocab_size = 2); set it explicitly");
  config["eos_token_id"] = 0;
  auto parsed = parseModelConfig(config.dump(), "dir/config.json");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->bosTokenId, 1);
}

// nlohmann::json prints values recursively: a deeply nested model_type used to
// overflow the stack while the error message was being made.
TEST(ModelConfigTest, RejectsDeeplyNestedJson) {
  std::string deep = "{\"model_type\": " + std::string(200000, '[') +
                     std::string(200000, ']') + "}";
  EXPECT_EQ(errorOf(parseModelConfig(deep, "dir/config.json")),
            "dir/config.json: JSON nested more than 64 levels deep (at byte "
            "78)");
  // Brackets inside strings do not count.
  json config = releasedConfig();
  config["torch_dtype"] = std::string(1000, '[');
  EXPECT_TRUE(bool(parseModelConfig(config.dump(), "dir/config.json")));
}

TEST(ModelConfigTest, CutsLongValuesInMessages) {
  json config = releasedConfig();
  config["model_type"] = std::string(100000, 'x');
  std::string message = parseError(config);
  EXPECT_LT(message.size(), 300u) << message;
  EXPECT_NE(message.find("\"xxxx"), std::string::npos) << message;
  EXPECT_NE(message.find("...,"), std::string::npos) << message;
}

TEST_F(TempDirTest, RefusesOversizedConfigFile) {
  std::string path = write("config.json", releasedConfig().dump() +
                                              std::string(16 << 20, ' '));
  std::string message = errorOf(readModelConfig(path));
  EXPECT_NE(message.find(path + ": "), std::string::npos) << message;
  EXPECT_NE(message.find("more than the 16 MiB a config.json may have"),
            std::string::npos)
      << message;
}

} // namespace
