//===- SyntheticCheckpoint.h - a checkpoint from config.json alone -*- C++ -*-===//
//
// ternc --random-weights compiles the released shapes without their
// gigabytes of weights: the importer reads a checkpoint whose tensors are all
// zero and occupy no disk (a sparse file), and the backend leaves the weights
// out of the artifact for the runtime to synthesize (docs/cuda.md).
//
#ifndef TERN_TOOLS_TERNC_SYNTHETICCHECKPOINT_H
#define TERN_TOOLS_TERNC_SYNTHETICCHECKPOINT_H

#include "compiler/Import/Checkpoint.h"

namespace tern {

/// Opens a checkpoint of the model that `configPath` (a config.json, or a
/// directory holding one) describes, every tensor bf16 zeros. The files are
/// made in a temporary directory and removed again once mapped.
llvm::Expected<std::unique_ptr<Checkpoint>> openZeroCheckpoint(llvm::StringRef configPath);

} // namespace tern

#endif // TERN_TOOLS_TERNC_SYNTHETICCHECKPOINT_H
