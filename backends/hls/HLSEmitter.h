//===- HLSEmitter.h - the HLS C++ project of an annotated module -*- C++ -*-===//
#ifndef TERN_BACKENDS_HLS_HLSEMITTER_H
#define TERN_BACKENDS_HLS_HLSEMITTER_H

#include "backends/hls/StageGraph.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tern::hls {

struct ProjectFile {
  std::string path; // relative to the project directory
  std::string contents;
};

/// Prints the project of `graph` (buildStageGraph of `module`, after the HLS
/// passes): src/ (generated C++ and tern_hls.h), weights/ (ROM contents),
/// tb/, shim/, Makefile, project.mk and run_hls.tcl (docs/hls.md lists them).
mlir::FailureOr<std::vector<ProjectFile>> emitProject(mlir::ModuleOp module,
                                                      const StageGraph &graph);

/// Writes `files` under `directory`, creating it and its folders.
mlir::LogicalResult writeProject(llvm::StringRef directory,
                                 const std::vector<ProjectFile> &files, std::string &error);

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_HLSEMITTER_H
