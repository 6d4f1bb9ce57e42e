// Calls the functions of a compiled MLIR module (artifact kind "mlir", docs/artifact.md) through the
// memref-v1 C interface: any number of tensor arguments and results, described by the manifest.
#ifndef TERN_RUNTIME_FUNCTION_CALL_H
#define TERN_RUNTIME_FUNCTION_CALL_H

#include <cstddef>
#include <string>

#include "tern/artifact.h"
#include "tern/runtime.h"

namespace tern {

enum class RunOutcome;  // model.h

// One function of the loaded code: its signature from the manifest and its C-interface entry.
struct LoadedFunction {
  const ArtifactFunction *signature;
  void *entry;
};

// The manifest's name of a dtype ("f32", ...), and back (false for an unknown name).
const char *dtypeName(tern_dtype dtype);
bool dtypeFromName(const std::string &name, tern_dtype *out);

// Checks `args` against the signature (dtype, rank, every static size), calls the function with the
// weights section as its first argument, checks what it returned (rank, static sizes, no buffer of
// the caller's) and copies each result into a new malloc'd dense row-major buffer in results[i],
// which the caller releases with tern_tensor_release. The generated code's own result buffers are
// freed here. Messages name the function and the argument or result.
RunOutcome callFunction(const LoadedFunction &fn, const unsigned char *weights, size_t weightsSize,
                        const tern_tensor *args, size_t numArgs, tern_tensor *results,
                        size_t numResults, std::string *error);

}  // namespace tern

#endif  // TERN_RUNTIME_FUNCTION_CALL_H
