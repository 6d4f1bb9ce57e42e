// The JSON manifest of a .tern artifact -> parseArtifactManifest
// (runtime/src/artifact_manifest.cpp).
//
// Oracle: no crash or uncaught exception; an accepted manifest has the sizes
// and symbols the runtime relies on.
#include "tern/artifact.h"

#include <cstdio>
#include <cstdlib>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "artifact-manifest fuzzer: accepted manifest breaks: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  tern::ArtifactManifest manifest;
  std::string why;
  if (!tern::parseArtifactManifest(text, &manifest, &why)) {
    check(!why.empty(), "a refusal says why");
    return 0;
  }
  check(manifest.hiddenSize > 0 && manifest.numLayers > 0 && manifest.vocabSize > 0,
        "model sizes are positive");
  check(!manifest.prefillSymbol.empty() && !manifest.decodeSymbol.empty(), "entry points named");
  check(manifest.bosTokenId >= -1 && manifest.eosTokenId >= -1, "token ids are -1 or valid");
  return 0;
}
