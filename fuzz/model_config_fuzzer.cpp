// config.json -> parseModelConfig (compiler/Import/ModelConfig.cpp).
//
// Oracle: no crash, no sanitizer report, and an accepted config stays inside
// the limits later stages rely on: every tensor it implies has an element
// count, and the whole checkpoint a byte size, that fit in int64.
#include "compiler/Import/Checkpoint.h"

#include <cstdio>
#include <cstdlib>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "model-config fuzzer: accepted config breaks: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<tern::ModelConfig> config = tern::parseModelConfig(text, "config.json");
  if (!config) {
    std::string message = llvm::toString(config.takeError());
    check(llvm::StringRef(message).starts_with("config.json: "), "error names the file");
    return 0;
  }
  check(config->hiddenSize > 0 && config->numLayers > 0 && config->vocabSize > 0 &&
            config->intermediateSize > 0,
        "sizes are positive");
  check(config->bosTokenId >= 0 && config->bosTokenId < config->vocabSize, "bos in range");
  check(config->eosTokenId >= 0 && config->eosTokenId < config->vocabSize, "eos in range");
  check(config->rmsNormEps > 0, "eps positive");

  int64_t totalBytes = 0;
  for (const auto &[name, shape] : tern::Checkpoint::expectedTensors(*config)) {
    int64_t elements = 1;
    for (int64_t dim : shape) {
      check(dim > 0, "every dimension is positive");
      check(!__builtin_mul_overflow(elements, dim, &elements), "element count fits int64");
    }
    int64_t bytes;
    check(!__builtin_mul_overflow(elements, int64_t(4), &bytes), "f32 byte size fits int64");
    check(!__builtin_add_overflow(totalBytes, bytes, &totalBytes), "total size fits int64");
  }
  return 0;
}
