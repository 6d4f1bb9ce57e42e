// A whole .tern file -> ArtifactFile::open (runtime/src/artifact_file.cpp and
// the manifest checks of artifact_manifest.cpp). The input is written to a
// scratch file because the reader maps the file it is given.
//
// Oracle: no crash or sanitizer report; an accepted artifact's sections lie in
// the file, do not overlap, the weights are page-aligned and every byte of
// code and weights can be read.
#include "scratch_dir.h"
#include "tern/artifact.h"

#include <cstdio>
#include <cstdlib>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "artifact fuzzer: accepted artifact breaks: %s\n", what);
    std::abort();
  }
}

void checkAccepted(const tern::ArtifactFile &file, size_t fileSize) {
  const tern::ArtifactHeader &h = file.header();
  check(h.codeOffset + h.codeSize <= fileSize, "code inside the file");
  check(h.weightsOffset + h.weightsSize <= fileSize, "weights inside the file");
  check(h.manifestOffset + h.manifestSize <= fileSize, "manifest inside the file");
  check(h.weightsOffset % tern::kArtifactWeightsAlignment == 0, "weights aligned");
  check(file.codeSize() > 0, "code not empty");
  // Reads every byte, so a section that runs off the mapping faults here.
  (void)tern::artifactCrc32(file.code(), file.codeSize());
  (void)tern::artifactCrc32(file.weights(), file.weightsSize());
  check(!file.manifest().prefillSymbol.empty(), "entry point named");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = tern::fuzz::writeScratchFile("fuzz.tern", data, size);
  for (bool verifyChecksums : {true, false}) {
    std::string error;
    std::unique_ptr<tern::ArtifactFile> file =
        tern::ArtifactFile::open(path, &error, verifyChecksums);
    if (!file) {
      check(error.rfind(path + ": ", 0) == 0, "error starts with the path");
      continue;
    }
    checkAccepted(*file, size);
  }
  return 0;
}
