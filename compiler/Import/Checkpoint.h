//===- Checkpoint.h - a validated HGRNBit checkpoint directory -*- C++ -*-===//
//
// Opens a Hugging Face model directory (config.json plus model.safetensors or
// sharded safetensors listed in model.safetensors.index.json), maps the
// weights and checks that the tensor set is exactly the one model-spec.md
// defines for the config: every name present, none extra, every shape right.
// After open() succeeds, later stages can index tensors without checks.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_CHECKPOINT_H
#define TERN_COMPILER_IMPORT_CHECKPOINT_H

#include "compiler/Import/ModelConfig.h"
#include "compiler/Import/SafeTensors.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tern {

/// Parses the text of model.safetensors.index.json into its weight_map
/// (tensor name -> shard file name). Every shard must be a plain file name in
/// the model directory. `indexPath` only names the file in errors.
llvm::Expected<std::map<std::string, std::string>>
parseShardIndex(llvm::StringRef text, llvm::StringRef indexPath);

class Checkpoint {
public:
  /// Reads `modelDir`/config.json and the weights, validating everything.
  static llvm::Expected<std::unique_ptr<Checkpoint>>
  open(llvm::StringRef modelDir);

  /// Every tensor the config implies, with its shape, in canonical order:
  /// model.embeddings.weight, model.lower_bounds (if use_lower_bound), then
  /// per layer attn_norm, attn.{i,f,g,o}_proj (each + .norm), attn.g_norm,
  /// mlp_norm, mlp.gate_proj (+ .norm), mlp.down_proj (+ .norm); then
  /// model.norm, lm_head, lm_head.norm. A BitLinear's .norm.weight directly
  /// follows its .weight.
  static std::vector<std::pair<std::string, std::vector<int64_t>>>
  expectedTensors(const ModelConfig &config);

  const ModelConfig &config() const { return modelConfig; }
  const std::string &directory() const { return modelDir; }
  /// The named tensor; it must be one of tensorNames().
  const TensorView &tensor(llvm::StringRef name) const;
  /// All tensor names in canonical order (see expectedTensors).
  std::vector<std::string> tensorNames() const;

private:
  Checkpoint() = default;

  std::string modelDir;
  ModelConfig modelConfig;
  std::vector<std::unique_ptr<SafeTensorsFile>> files;
  llvm::StringMap<const TensorView *> tensorsByName;
};

} // namespace tern

#endif // TERN_COMPILER_IMPORT_CHECKPOINT_H
