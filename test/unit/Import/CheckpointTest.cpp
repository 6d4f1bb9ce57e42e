//===- CheckpointTest.cpp - tests of checkpoint directories ---------------===//
//
// Tiny single-file and sharded checkpoints (H=8, L=2, V=16, I=12): values
// read back exactly, and every tensor-set / index mismatch is refused.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"

#include <set>
#include <tuple>

#include <unistd.h>

#include "TestHelpers.h"

using namespace tern;
using namespace tern::test;

namespace {

//===----------------------------------------------------------------------===//
// Checkpoint
//===----------------------------------------------------------------------===//

/// H=8, L=2, V=16, I=12: every tensor a few hundred bytes.
json tinyConfig() {
  return {{"model_type", "hgrn_bit"}, {"hidden_size", 8},
          {"num_hidden_layers", 2},   {"vocab_size", 16},
          {"intermediate_size", 12},  {"use_lower_bound", true}};
}

ModelConfig configOf(const json &config) {
  auto parsed = parseModelConfig(config.dump(), "config.json");
  if (!parsed) {
    ADD_FAILURE() << llvm::toString(parsed.takeError());
    return {};
  }
  return *parsed;
}

/// A value that BF16, F16 and F32 all hold exactly, unique-ish per element.
float valueAt(size_t tensorIndex, int64_t element) {
  return static_cast<float>(
             static_cast<int64_t>((tensorIndex * 31 + element * 7) % 255) -
             127) *
         0.5f;
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

/// Tensors for `config` in canonical order, cycling through the dtypes.
std::vector<RawTensor> tensorsFor(const json &config) {
  std::vector<RawTensor> tensors;
  auto expected = Checkpoint::expectedTensors(configOf(config));
  for (size_t t = 0; t < expected.size(); ++t) {
    const auto &[name, shape] = expected[t];
    int64_t count = product(shape);
    RawTensor tensor{name, "", shape, ""};
    switch (t % 3) {
    case 0: {
      std::vector<uint16_t> bits;
      for (int64_t e = 0; e < count; ++e)
        bits.push_back(bf16Bits(valueAt(t, e)));
      tensor.dtype = "BF16";
      tensor.data = u16Bytes(bits);
      break;
    }
    case 1: {
      std::vector<uint16_t> bits;
      for (int64_t e = 0; e < count; ++e)
        bits.push_back(f16Bits(valueAt(t, e)));
      tensor.dtype = "F16";
      tensor.data = u16Bytes(bits);
      break;
    }
    default: {
      std::vector<float> values;
      for (int64_t e = 0; e < count; ++e)
        values.push_back(valueAt(t, e));
      tensor.dtype = "F32";
      tensor.data = f32Bytes(values);
      break;
    }
    }
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

class CheckpointTest : public TempDirTest {
protected:
  void writeSingle(const json &config, const std::vector<RawTensor> &tensors) {
    write("config.json", config.dump());
    write("model.safetensors", makeSafetensors(tensors));
  }

  /// Splits `tensors` over two shards (first half, second half) with an
  /// index that says so; `indexOverride` replaces entries of the weight_map.
  void writeSharded(const json &config, const std::vector<RawTensor> &tensors,
                    const json &indexOverride = json::object()) {
    write("config.json", config.dump());
    size_t half = tensors.size() / 2;
    std::vector<RawTensor> first(tensors.begin(), tensors.begin() + half);
    std::vector<RawTensor> second(tensors.begin() + half, tensors.end());
    write(kShard1, makeSafetensors(first));
    write(kShard2, makeSafetensors(second));
    json weightMap = json::object();
    for (const RawTensor &t : first)
      weightMap[t.name] = kShard1;
    for (const RawTensor &t : second)
      weightMap[t.name] = kShard2;
    for (const auto &item : indexOverride.items()) {
      if (item.value().is_null())
        weightMap.erase(item.key());
      else
        weightMap[item.key()] = item.value();
    }
    json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", weightMap}};
    write("model.safetensors.index.json", index.dump(2));
  }

  std::string openError() { return errorOf(Checkpoint::open(dir)); }

  static constexpr const char *kShard1 = "model-00001-of-00002.safetensors";
  static constexpr const char *kShard2 = "model-00002-of-00002.safetensors";
};

/// Checks every tensor of `checkpoint` holds tensorsFor()'s values.
void expectTinyValues(const Checkpoint &checkpoint) {
  std::vector<std::string> names = checkpoint.tensorNames();
  auto expected = Checkpoint::expectedTensors(checkpoint.config());
  ASSERT_EQ(names.size(), expected.size());
  for (size_t t = 0; t < names.size(); ++t) {
    EXPECT_EQ(names[t], expected[t].first);
    const TensorView &view = checkpoint.tensor(names[t]);
    EXPECT_EQ(view.shape, expected[t].second);
    std::vector<float> values(view.numElements());
    view.toFloat32(values.data());
    for (int64_t e = 0; e < view.numElements(); ++e)
      ASSERT_EQ(values[e], valueAt(t, e)) << names[t] << "[" << e << "]";
  }
}

TEST(ExpectedTensorsTest, CanonicalOrderAndShapes) {
  auto tensors = Checkpoint::expectedTensors(configOf(tinyConfig()));
  // embeddings + lower_bounds + 2 layers * 15 + model.norm + lm_head (2).
  ASSERT_EQ(tensors.size(), 2u + 2 * 15 + 3);
  std::vector<std::string> layer0;
  for (size_t i = 2; i < 17; ++i)
    layer0.push_back(tensors[i].first);
  EXPECT_EQ(layer0, (std::vector<std::string>{
                        "model.layers.0.attn_norm.weight",
                        "model.layers.0.attn.i_proj.weight",
                        "model.layers.0.attn.i_proj.norm.weight",
                        "model.layers.0.attn.f_proj.weight",
                        "model.layers.0.attn.f_proj.norm.weight",
                        "model.layers.0.attn.g_proj.weight",
                        "model.layers.0.attn.g_proj.norm.weight",
                        "model.layers.0.attn.o_proj.weight",
                        "model.layers.0.attn.o_proj.norm.weight",
                        "model.layers.0.attn.g_norm.weight",
                        "model.layers.0.mlp_norm.weight",
                        "model.layers.0.mlp.gate_proj.weight",
                        "model.layers.0.mlp.gate_proj.norm.weight",
                        "model.layers.0.mlp.down_proj.weight",
                        "model.layers.0.mlp.down_proj.norm.weight"}));
  EXPECT_EQ(tensors[0].first, "model.embeddings.weight");
  EXPECT_EQ(tensors[0].second, (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(tensors[1].first, "model.lower_bounds");
  EXPECT_EQ(tensors[1].second, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(tensors[13].second, (std::vector<int64_t>{24, 8})); // gate_proj
  EXPECT_EQ(tensors[15].second, (std::vector<int64_t>{8, 12})); // down_proj
  EXPECT_EQ(tensors[16].second, (std::vector<int64_t>{12}));    // its norm
  size_t n = tensors.size();
  EXPECT_EQ(tensors[n - 3].first, "model.norm.weight");
  EXPECT_EQ(tensors[n - 2].first, "lm_head.weight");
  EXPECT_EQ(tensors[n - 2].second, (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(tensors[n - 1].first, "lm_head.norm.weight");

  json noLowerBound = tinyConfig();
  noLowerBound["use_lower_bound"] = false;
  auto without = Checkpoint::expectedTensors(configOf(noLowerBound));
  EXPECT_EQ(without.size(), tensors.size() - 1);
  EXPECT_EQ(without[1].first, "model.layers.0.attn_norm.weight");
}

TEST(ExpectedTensorsTest, ParameterCountsOfReleasedModels) {
  for (auto [hidden, layers, params] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1024, 24, 374108160},
           {2048, 24, 1364779008},
           {2560, 32, 2702357504}}) {
    json config = releasedConfig();
    config["hidden_size"] = hidden;
    config["num_hidden_layers"] = layers;
    int64_t total = 0;
    for (const auto &[name, shape] :
         Checkpoint::expectedTensors(configOf(config)))
      total += product(shape);
    EXPECT_EQ(total, params) << "H=" << hidden;
  }
}

TEST_F(CheckpointTest, OpensSingleFileCheckpoint) {
  writeSingle(tinyConfig(), tensorsFor(tinyConfig()));
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ((*checkpoint)->config().hiddenSize, 8);
  EXPECT_EQ((*checkpoint)->directory(), dir);
  expectTinyValues(**checkpoint);
}

TEST_F(CheckpointTest, OpensShardedCheckpoint) {
  writeSharded(tinyConfig(), tensorsFor(tinyConfig()));
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  expectTinyValues(**checkpoint);
  std::set<std::string> files;
  for (const std::string &name : (*checkpoint)->tensorNames())
    files.insert((*checkpoint)->tensor(name).file);
  EXPECT_EQ(files, (std::set<std::string>{pathOf(kShard1), pathOf(kShard2)}));
  EXPECT_EQ((*checkpoint)->tensor("model.embeddings.weight").file,
            pathOf(kShard1));
  EXPECT_EQ((*checkpoint)->tensor("lm_head.weight").file, pathOf(kShard2));
}

TEST_F(CheckpointTest, OpensWithoutLowerBounds) {
  json config = tinyConfig();
  config["use_lower_bound"] = false;
  writeSingle(config, tensorsFor(config));
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_FALSE((*checkpoint)->config().useLowerBound);
}

TEST_F(CheckpointTest, RejectsMissingTensor) {
  std::vector<RawTensor> tensors = tensorsFor(tinyConfig());
  llvm::erase_if(tensors, [](const RawTensor &t) {
    return t.name == "model.layers.1.mlp.down_proj.norm.weight";
  });
  writeSingle(tinyConfig(), tensors);
  std::string message = openError();
  EXPECT_NE(message.find("missing tensor model.layers.1.mlp.down_proj.norm."
                         "weight (expected shape [12])"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(pathOf("model.safetensors")), std::string::npos)
      << message;
}

TEST_F(CheckpointTest, RejectsUnexpectedTensor) {
  std::vector<RawTensor> tensors = tensorsFor(tinyConfig());
  tensors.push_back({"model.layers.2.attn_norm.weight",
                     "F32",
                     {8},
                     f32Bytes(std::vector<float>(8, 1.0f))});
  writeSingle(tinyConfig(), tensors);
  std::string message = openError();
  EXPECT_NE(message.find("unexpected tensor model.layers.2.attn_norm.weight "
                         "in " +
                         pathOf("model.safetensors")),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("num_hidden_layers = 2"), std::string::npos)
      << message;
}

TEST_F(CheckpointTest, RejectsLowerBoundsWhenConfigDisablesThem) {
  json config = tinyConfig();
  config["use_lower_bound"] = false;
  writeSingle(config, tensorsFor(tinyConfig()));
  std::string message = openError();
  EXPECT_NE(message.find("unexpected tensor model.lower_bounds"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("use_lower_bound"), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsWrongShape) {
  std::vector<RawTensor> tensors = tensorsFor(tinyConfig());
  for (RawTensor &t : tensors)
    if (t.name == "model.layers.0.attn.i_proj.weight") {
      t.shape = {8, 4};
      t.data.resize(t.data.size() / 2);
    }
  writeSharded(tinyConfig(), tensors);
  std::string message = openError();
  EXPECT_NE(message.find("tensor model.layers.0.attn.i_proj.weight in " +
                         pathOf(kShard1) +
                         " has shape [8, 4], expected [8, 8]"),
            std::string::npos)
      << message;
}

TEST_F(CheckpointTest, RejectsConfigWeightMismatchWithSeveralProblems) {
  json config = tinyConfig();
  config["num_hidden_layers"] = 3; // weights have 2 layers
  writeSingle(config, tensorsFor(tinyConfig()));
  std::string message = openError();
  // model.lower_bounds [2, 8] is reported first: shape problems lead.
  EXPECT_NE(message.find("tensor model.lower_bounds in " +
                         pathOf("model.safetensors") +
                         " has shape [2, 8], expected [3, 8]"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("missing tensor model.layers.2.attn_norm.weight"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("do not match " + pathOf("config.json")),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("1 with a wrong shape, 0 unexpected, 15 missing"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(and 8 more)"), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsIndexEntryAbsentFromShard) {
  writeSharded(tinyConfig(), tensorsFor(tinyConfig()),
               {{"model.extra.weight", kShard2}});
  std::string message = openError();
  EXPECT_NE(message.find("model.safetensors.index.json"), std::string::npos)
      << message;
  EXPECT_NE(message.find("'model.extra.weight'"), std::string::npos) << message;
  EXPECT_NE(message.find(pathOf(kShard2)), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsTensorInShardOtherThanIndexSays) {
  // lm_head.weight is written to shard 2, but the index claims shard 1.
  writeSharded(tinyConfig(), tensorsFor(tinyConfig()),
               {{"lm_head.weight", kShard1}});
  std::string message = openError();
  EXPECT_NE(message.find("lm_head.weight"), std::string::npos) << message;
  EXPECT_NE(message.find(kShard1), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsTensorDuplicatedInAnotherShard) {
  // Shard 1 also carries lm_head.weight, which the index places in shard 2.
  std::vector<RawTensor> tensors = tensorsFor(tinyConfig());
  writeSharded(tinyConfig(), tensors);
  size_t half = tensors.size() / 2;
  std::vector<RawTensor> first(tensors.begin(), tensors.begin() + half);
  first.push_back(tensors.back().name == "lm_head.norm.weight"
                      ? tensors[tensors.size() - 2]
                      : tensors.back());
  ASSERT_EQ(first.back().name, "lm_head.weight");
  write(kShard1, makeSafetensors(first));
  std::string message = openError();
  EXPECT_NE(message.find("tensor 'lm_head.weight' is in " + pathOf(kShard1) +
                         ", but " + pathOf("model.safetensors.index.json") +
                         " maps it to " + kShard2),
            std::string::npos)
      << message;
}

TEST_F(CheckpointTest, RejectsShardTensorMissingFromIndex) {
  writeSharded(tinyConfig(), tensorsFor(tinyConfig()),
               {{"lm_head.weight", nullptr}});
  std::string message = openError();
  EXPECT_NE(message.find("tensor 'lm_head.weight' in " + pathOf(kShard2) +
                         " is not listed in"),
            std::string::npos)
      << message;
}

TEST_F(CheckpointTest, RejectsMissingShardAndPathsOutsideTheDirectory) {
  writeSharded(tinyConfig(), tensorsFor(tinyConfig()),
               {{"lm_head.weight", "model-00003-of-00002.safetensors"}});
  std::string message = openError();
  EXPECT_NE(message.find("model-00003-of-00002.safetensors"), std::string::npos)
      << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  writeSharded(tinyConfig(), tensorsFor(tinyConfig()),
               {{"lm_head.weight", "../elsewhere.safetensors"}});
  message = openError();
  EXPECT_NE(message.find("must be a file name"), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsBadIndex) {
  write("config.json", tinyConfig().dump());
  write("model.safetensors.index.json", "{\"weight_map\": 3}");
  std::string message = openError();
  EXPECT_NE(message.find("weight_map"), std::string::npos) << message;
}

TEST_F(CheckpointTest, ReportsBadShardWithItsPath) {
  write("config.json", tinyConfig().dump());
  write(kShard1, "xyz");
  write("model.safetensors.index.json",
        json{{"weight_map", {{"model.norm.weight", kShard1}}}}.dump());
  std::string message = openError();
  EXPECT_NE(message.find(pathOf(kShard1)), std::string::npos) << message;
}

TEST_F(CheckpointTest, RejectsMissingOrEmptyDirectory) {
  std::string missing = pathOf("no-such-model");
  std::string message = errorOf(Checkpoint::open(missing));
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  std::string plainFile = write("file.txt", "hello");
  message = errorOf(Checkpoint::open(plainFile));
  EXPECT_NE(message.find("is not a directory"), std::string::npos) << message;

  message = openError(); // the empty temp dir: no config.json
  EXPECT_NE(message.find(pathOf("config.json")), std::string::npos) << message;

  write("config.json", tinyConfig().dump());
  message = openError();
  EXPECT_NE(message.find("no weights in " + dir), std::string::npos) << message;
  EXPECT_NE(message.find("model.safetensors.index.json"), std::string::npos)
      << message;

  write("pytorch_model.bin", "pickle");
  message = openError();
  EXPECT_NE(message.find("pytorch_model.bin"), std::string::npos) << message;
}

TEST_F(CheckpointTest, ConfigErrorsComeFirst) {
  json config = tinyConfig();
  config["num_heads"] = 2;
  writeSingle(config, tensorsFor(tinyConfig()));
  std::string message = openError();
  EXPECT_NE(message.find(pathOf("config.json")), std::string::npos) << message;
  EXPECT_NE(message.find("num_heads"), std::string::npos) << message;
}

TEST_F(CheckpointTest, TensorAccessorAbortsOnUnknownName) {
  writeSingle(tinyConfig(), tensorsFor(tinyConfig()));
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_DEATH((*checkpoint)->tensor("no.such.tensor"), "no.such.tensor");
}

//===----------------------------------------------------------------------===//
// Hardening (docs/hardening.md)
//===----------------------------------------------------------------------===//

TEST(ShardIndexTest, ParsesTheWeightMapAndRefusesBadOnes) {
  auto map = parseShardIndex(
      R"({"metadata": {}, "weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})",
      "idx.json");
  ASSERT_TRUE(bool(map)) << llvm::toString(map.takeError());
  EXPECT_EQ(map->at("b"), "s2.safetensors");

  // "/" and "//": found by the shard-index fuzzer
  // (fuzz/corpus/shard-index/regress-root-shard-name.json).
  for (const char *shard :
       {"\"/\"", "\"//\"", "\"\"", "\".\"", "\"..\"", "\"../x\"",
        "\"/etc/passwd\"", "\"sub/x\"", "7", "null"}) {
    std::string text = std::string(R"({"weight_map": {"a": )") + shard + "}}";
    std::string message = errorOf(parseShardIndex(text, "idx.json"));
    EXPECT_NE(message.find("idx.json: weight_map entry for tensor 'a' must "
                           "be a file name in the model directory"),
              std::string::npos)
        << shard << ": " << message;
  }
  std::string deep = "{\"weight_map\": {\"a\": " + std::string(100000, '[') +
                     std::string(100000, ']') + "}}";
  EXPECT_NE(errorOf(parseShardIndex(deep, "idx.json"))
                .find("idx.json: JSON nested more than 64 levels deep"),
            std::string::npos);
}

TEST_F(CheckpointTest, RejectsOversizedIndex) {
  write("config.json", tinyConfig().dump());
  std::string index = write("model.safetensors.index.json", "{}");
  // Sparse: no 100 MB is written, and the reader maps rather than reads it.
  ASSERT_EQ(::truncate(index.c_str(), 100u * 1000u * 1000u + 1), 0);
  std::string message = openError();
  EXPECT_NE(message.find(index + ": 100000001 bytes, more than the 100 MB "
                                 "limit for an index"),
            std::string::npos)
      << message;
}

} // namespace
