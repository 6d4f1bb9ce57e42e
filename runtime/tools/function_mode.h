// tern-run's function mode: calls one function of a compiled MLIR module (ternc graph.mlir) on
// .npy inputs and writes each result as DIR/0.npy, DIR/1.npy, ...
#ifndef TERN_RUN_FUNCTION_MODE_H
#define TERN_RUN_FUNCTION_MODE_H

#include <string>
#include <vector>

namespace tern {

struct FunctionModeOptions {
  std::string modelPath;
  std::string function;             // --function
  std::vector<std::string> inputs;  // --input, one per argument, in order
  std::string outputDir;            // --output-dir, created when missing
};

// Runs the function; prints one line per result ("DIR/0.npy f32 [2, 3]") to stdout and errors to
// stderr as "tern-run: error: ...". Returns the exit status (0 or 1).
int runFunctionMode(const FunctionModeOptions &options);

}  // namespace tern

#endif  // TERN_RUN_FUNCTION_MODE_H
