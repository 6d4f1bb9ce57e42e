// model.safetensors.index.json -> parseShardIndex, then Checkpoint::open of a
// model directory whose index is the input (compiler/Import/Checkpoint.cpp).
//
// The directory is a fixture made once per process: a one-layer config.json
// and two valid shards holding every tensor it implies (even-numbered tensors
// in the first shard, odd in the second, in Checkpoint::expectedTensors order).
// The seed corpus holds the index that matches, so mutations explore a
// checkpoint that is one defect away from valid.
//
// Oracle: no crash or sanitizer report; shard names in an accepted index are
// plain file names; an accepted checkpoint has every expected tensor.
#include "scratch_dir.h"

#include "compiler/Import/Checkpoint.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr const char *kConfig =
    R"({"model_type": "hgrn_bit", "hidden_size": 4, "num_hidden_layers": 1,)"
    R"( "vocab_size": 8, "intermediate_size": 4})";
constexpr const char *kShards[2] = {"model-00001-of-00002.safetensors",
                                    "model-00002-of-00002.safetensors"};

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "shard-index fuzzer: %s\n", what);
    std::abort();
  }
}

/// A safetensors file holding `tensors` as F32 zeros.
std::string safetensorsBytes(
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &tensors) {
  nlohmann::json header = nlohmann::json::object();
  int64_t offset = 0;
  for (const auto &[name, shape] : tensors) {
    int64_t bytes = 4;
    for (int64_t d : shape) bytes *= d;
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  std::string file(8, '\0');
  uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) file[i] = char(length >> (8 * i));
  return file + text + std::string(size_t(offset), '\0');
}

const std::string &fixtureDir() {
  static const std::string dir = [] {
    const std::string &scratch = tern::fuzz::scratchDir();
    tern::fuzz::writeScratchFile("config.json", kConfig, std::strlen(kConfig));
    auto config = tern::parseModelConfig(kConfig, "config.json");
    check(bool(config), "the fixture config parses");
    std::vector<std::pair<std::string, std::vector<int64_t>>> shards[2];
    auto expected = tern::Checkpoint::expectedTensors(*config);
    for (size_t i = 0; i < expected.size(); ++i) shards[i % 2].push_back(expected[i]);
    for (int s = 0; s < 2; ++s) {
      std::string bytes = safetensorsBytes(shards[s]);
      tern::fuzz::writeScratchFile(kShards[s], bytes.data(), bytes.size());
    }
    return scratch;
  }();
  return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &dir = fixtureDir();
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto weightMap = tern::parseShardIndex(text, "model.safetensors.index.json");
  if (!weightMap) {
    llvm::consumeError(weightMap.takeError());
  } else {
    for (const auto &[tensor, shard] : *weightMap)
      check(!shard.empty() && shard.find('/') == std::string::npos && shard != "." &&
                shard != "..",
            "an accepted shard name is a plain file name");
  }

  tern::fuzz::writeScratchFile("model.safetensors.index.json", data, size);
  auto checkpoint = tern::Checkpoint::open(dir);
  if (!checkpoint) {
    llvm::consumeError(checkpoint.takeError());
    return 0;
  }
  check(bool(weightMap), "Checkpoint::open accepts only an index parseShardIndex accepts");
  for (const std::string &name : (*checkpoint)->tensorNames())
    check((*checkpoint)->tensor(name).name == name, "every expected tensor is there");
  return 0;
}
