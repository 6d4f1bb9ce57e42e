// Helpers shared by the runtime unit tests: scratch directories, file bytes, and artifacts built from
// the fake model.
#ifndef TERN_TEST_RUNTIME_TEST_SUPPORT_H
#define TERN_TEST_RUNTIME_TEST_SUPPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace tern::test {

// A fresh directory under the test temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  std::vector<std::string> entries() const;  // names, sorted

 private:
  std::string path_;
};

std::vector<unsigned char> readBytes(const std::string &path);
void writeBytes(const std::string &path, const std::vector<unsigned char> &bytes);
void writeText(const std::string &path, const std::string &text);
std::string readText(const std::string &path);

// Paths of the fake model builds (fake_model.c), set by CMake.
std::string fakeModelPath();        // VARIANT 1
std::string fakeModelV2Path();      // VARIANT 2
std::string fakeModelBrokenPath();  // decode breaks the ABI

// A valid manifest for the fake model's shapes (no checksums: writeArtifact adds them).
std::string fakeManifest(const std::string &prefillSymbol = "_mlir_ciface_tern_prefill",
                         const std::string &decodeSymbol = "_mlir_ciface_tern_decode");

// Writes an artifact of `soPath`'s bytes and `emb` as weights; fails the test on error.
void writeFakeArtifact(const std::string &artifactPath, const std::string &soPath,
                       const std::vector<float> &emb, const std::string &manifest = fakeManifest());

// Little-endian field access into artifact bytes (offsets per docs/artifact.md).
uint64_t getU64(const std::vector<unsigned char> &bytes, size_t at);
void putU32(std::vector<unsigned char> &bytes, size_t at, uint32_t value);
void putU64(std::vector<unsigned char> &bytes, size_t at, uint64_t value);

}  // namespace tern::test

#endif  // TERN_TEST_RUNTIME_TEST_SUPPORT_H
