// Weights made up at load for artifacts compiled with `ternc --random-weights=SEED`: the artifact
// lists where each weight goes (manifest "weights": offset, bytes, dtype) and holds none of them, so
// benchmarks of the released shapes need no multi-gigabyte file (docs/cuda.md, "Random weights").
#ifndef TERN_RUNTIME_SYNTHETIC_WEIGHTS_H
#define TERN_RUNTIME_SYNTHETIC_WEIGHTS_H

#include <cstdint>
#include <string>
#include <string_view>

namespace tern {

// What the manifest says about synthesized weights.
struct SyntheticWeights {
  bool present = false;  // the manifest has "random_weights"
  uint64_t seed = 0;
  uint64_t bytes = 0;    // "weights_bytes": the buffer the code reads
};

// Reads "random_weights" and "weights_bytes" from the manifest text. false with *error when they
// are malformed; present = false when the artifact carries its weights.
bool readSyntheticWeights(std::string_view manifestText, SyntheticWeights *out, std::string *error);

// Fills `out` (weights.bytes bytes) with every listed weight drawn from the seed: packed trits with
// codes of -1, 0 and +1 in the manifest's "packing", f32 values in [0.5, 1) (norm weights, lower
// bounds), bf16 values in [-1, 1) (the embedding table); the bytes no weight fills are zeroed, and
// entries that overlap are refused. The same seed gives the same bytes on every machine and at
// every thread count: `threads` host threads fill pieces of the entries (0: as many as this process
// may run on).
bool synthesizeWeights(std::string_view manifestText, const SyntheticWeights &weights, uint8_t *out,
                       std::string *error, int threads = 0);

}  // namespace tern

#endif  // TERN_RUNTIME_SYNTHETIC_WEIGHTS_H
