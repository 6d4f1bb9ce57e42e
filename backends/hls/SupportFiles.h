//===- SupportFiles.h - files copied into every HLS project -----*- C++ -*-===//
//
// backends/hls/support/ holds real C++ files (the ap_int/hls::stream shim, the
// helpers the generated code includes, the testbenches, the Makefile). CMake
// embeds them in ternc (EmbedSupportFiles.cmake) and the emitter copies them.
//
#ifndef TERN_BACKENDS_HLS_SUPPORTFILES_H
#define TERN_BACKENDS_HLS_SUPPORTFILES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace tern::hls {

struct SupportFile {
  const char *path; // relative to backends/hls/support
  const char *data;
  unsigned long size;
  llvm::StringRef contents() const { return {data, size}; }
};

llvm::ArrayRef<SupportFile> supportFiles();

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_SUPPORTFILES_H
