//===- Driver.h - what ternc's stages and backends share ---------*- C++ -*-===//
//
// ternc runs the target-independent stages (import .. pack) and hands the
// module to one backend, chosen by --target. A backend names the
// --compile-to stages it adds and writes its own output (an artifact, a
// project directory).
//
#ifndef TERN_COMPILER_DRIVER_DRIVER_H
#define TERN_COMPILER_DRIVER_DRIVER_H

#include "compiler/Import/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tern {

struct DriverOptions {
  std::string inputPath;
  std::string outputPath;  // -o; empty when not given
  std::string compileTo;   // a stage name, or "" for the whole pipeline
  std::string target;      // --target as given
  std::string packing;     // trit layout for the pack stage
  bool printWeights = false;
  bool quiet = false;
};

/// Timestamped progress lines on stderr (silenced by --quiet).
class Progress {
public:
  explicit Progress(bool quiet) : quiet(quiet) {}
  void step(const llvm::Twine &what) const;

private:
  bool quiet;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// What ternc was given: a checkpoint directory, or a module of MLIR text.
enum class InputKind { Checkpoint, MLIRModule };

/// Everything a backend gets from the driver.
struct DriverContext {
  const DriverOptions &options;
  const ModelConfig &config; // all zeros for an MLIR module
  const Progress &progress;
  InputKind input = InputKind::Checkpoint;
};

/// Prints "ternc: error: MESSAGE" and returns the exit status 1.
int fail(const llvm::Twine &message);

/// Prints text to -o when given, else stdout. Returns an exit status.
int printText(const DriverOptions &options, llvm::function_ref<void(llvm::raw_ostream &)> print);

/// Prints a module (weights elided unless --print-weights). Returns an exit status.
int printModule(const DriverOptions &options, mlir::ModuleOp module);

/// Runs the passes `build` adds; diagnostics go to stderr.
mlir::LogicalResult runPasses(mlir::ModuleOp module,
                              llvm::function_ref<void(mlir::OpPassManager &)> build);

/// One stage of a pipeline: its --compile-to name, a progress line, its passes.
struct Stage {
  const char *name;
  const char *help;
  std::function<void(mlir::OpPassManager &)> build;
};

/// Runs `stages` in order, printing the module and stopping after the one
/// named by --compile-to. Returns std::nullopt to go on, or an exit status.
std::optional<int> runStages(mlir::ModuleOp module, llvm::ArrayRef<Stage> stages,
                             const DriverContext &ctx);

/// A code generator behind --target.
struct Backend {
  /// Whether this backend handles `--target=NAME`.
  std::function<bool(llvm::StringRef)> accepts;
  /// The --target names it takes, for --help and errors.
  const char *targets;
  /// The --compile-to stages it adds after the common ones, for --help.
  std::vector<std::pair<const char *, const char *>> stages;
  /// Lowers the packed tern module and writes the output. Returns an exit status.
  std::function<int(mlir::ModuleOp, const DriverContext &)> compile;
  /// The trit layout (#tern.packing) the pack stage uses when --packing is not given.
  const char *defaultPacking = "two_bit";
  /// When set, the layout for `--target=NAME` instead of defaultPacking (the
  /// CPU backend's layout depends on the target's ISA).
  std::function<std::string(llvm::StringRef target)> defaultPackingFor;
};

} // namespace tern

#endif // TERN_COMPILER_DRIVER_DRIVER_H
