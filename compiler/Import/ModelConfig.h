//===- ModelConfig.h - HGRNBit config.json -------------------- -*- C++ -*-===//
//
// The hyper-parameters of an HGRNBit ("MatMul-free LM") checkpoint, read from
// its Hugging Face config.json. See docs/model-spec.md, "Checkpoint layout".
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_MODELCONFIG_H
#define TERN_COMPILER_IMPORT_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace tern {

struct ModelConfig {
  std::string modelType;    // always "hgrn_bit"
  int64_t hiddenSize;       // H
  int64_t numLayers;        // L (num_hidden_layers)
  int64_t vocabSize;        // V
  int64_t intermediateSize; // I: explicit, or derived when null/absent
  int64_t numHeads;         // always 1
  int64_t expandRatio;      // always 1
  int64_t hiddenRatio;      // only used to derive I
  int64_t bosTokenId;
  int64_t eosTokenId;
  double rmsNormEps;
  bool useLowerBound;
  bool useShortConv;      // always false
  bool tieWordEmbeddings; // always false
  std::string torchDtype; // informational; tensors carry their own dtype
};

/// I = int(H * hiddenRatio * 2 / 3) rounded up to a multiple of 256, as the
/// reference HGRNBitMLP does when intermediate_size is null.
int64_t deriveIntermediateSize(int64_t hiddenSize, int64_t hiddenRatio);

/// Parses config.json text; `path` only names the file in error messages.
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef text,
                                             llvm::StringRef path);

/// Reads and parses the config.json at `path`. Absent optional fields take
/// model-spec.md's defaults; configurations tern cannot compile are refused
/// with an error naming the file and the field.
llvm::Expected<ModelConfig> readModelConfig(llvm::StringRef path);

} // namespace tern

#endif // TERN_COMPILER_IMPORT_MODELCONFIG_H
