// The `.tern` artifact container (docs/artifact.md): a 64-byte header, a JSON manifest, the generated
// code as an ELF shared object, and the packed weights (page-aligned so they can be mmap'd in place).
//
// This header is shared by the compiler (which writes artifacts) and the runtime (which reads them),
// so it depends on nothing but the C++ standard library. Functions report errors through a
// `std::string *error` (never by throwing); every message starts with the artifact's path.
#ifndef TERN_ARTIFACT_H
#define TERN_ARTIFACT_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tern {

inline constexpr char kArtifactMagic[8] = {'T', 'E', 'R', 'N', 'A', 'R', 'T', '\0'};
inline constexpr uint32_t kArtifactFormatVersion = 1;
inline constexpr uint32_t kArtifactHeaderSize = 64;
inline constexpr uint64_t kArtifactWeightsAlignment = 4096;
// The only generated-code ABI this runtime speaks (docs/artifact.md, "Generated-code ABI").
inline constexpr const char *kArtifactAbi = "memref-v1";

// The header exactly as it lies on disk (all integers little-endian; encode/decode below do the
// byte order, so this struct is never memcpy'd to or from the file).
struct ArtifactHeader {
  char magic[8];
  uint32_t formatVersion;
  uint32_t headerSize;
  uint64_t manifestOffset, manifestSize;
  uint64_t codeOffset, codeSize;
  uint64_t weightsOffset, weightsSize;
};

void encodeArtifactHeader(const ArtifactHeader &header, unsigned char out[kArtifactHeaderSize]);
ArtifactHeader decodeArtifactHeader(const unsigned char in[kArtifactHeaderSize]);

// What the runtime needs from the manifest. Required members: format_version (= 1), model.{hidden_size,
// num_hidden_layers, vocab_size} (positive integers), entry_points.{prefill, decode} (non-empty
// strings), state.{shape = [num_hidden_layers, hidden_size], dtype = "f32"},
// checksums.{algorithm = "crc32", code, weights} ("0x" + hex). Optional: model.bos_token_id /
// eos_token_id (integers; -1 here when absent or null), kind, producer, and abi (must be "memref-v1"
// when present). Every other member is carried along untouched.
struct ArtifactManifest {
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t vocabSize = 0;
  int64_t bosTokenId = -1;
  int64_t eosTokenId = -1;
  std::string kind;
  std::string producer;
  std::string prefillSymbol;
  std::string decodeSymbol;
  uint32_t codeCrc32 = 0;
  uint32_t weightsCrc32 = 0;
};

// Parses and checks a manifest; on failure returns false and sets *why (without a path prefix).
bool parseArtifactManifest(std::string_view json, ArtifactManifest *out, std::string *why);

// zlib CRC-32 of a byte range of any size, and its manifest spelling ("0x" + 8 lowercase hex digits).
uint32_t artifactCrc32(const void *data, size_t size);
std::string formatArtifactCrc32(uint32_t crc);

// Writes an artifact to `path` atomically: everything goes to `path.tmp.XXXXXX` in the same directory,
// which is fsync'd and renamed over `path`, so `path` is never half-written; the temporary is removed on
// failure. `manifestJson` must be a JSON object; its "checksums" member is set (inserted or replaced)
// to the CRC-32 of `code` and `weights`, the member order is otherwise kept, and the result must pass
// parseArtifactManifest (so the writer never produces an artifact the reader rejects).
bool writeArtifact(const std::string &path, const std::string &manifestJson, const void *code,
                   size_t codeSize, const void *weights, size_t weightsSize, std::string *error);

// A validated, read-only, memory-mapped artifact. open() checks, in this order: the file is a regular
// file of at least 64 bytes; magic; format_version; header_size; every section inside the file and no
// two sections (nor the header) overlapping; weights_offset a multiple of 4096; the manifest; and,
// unless told not to, the code and weights checksums.
class ArtifactFile {
 public:
  static std::unique_ptr<ArtifactFile> open(const std::string &path, std::string *error,
                                            bool verifyChecksums = true);
  ~ArtifactFile();
  ArtifactFile(const ArtifactFile &) = delete;
  ArtifactFile &operator=(const ArtifactFile &) = delete;

  const std::string &path() const { return path_; }
  const ArtifactHeader &header() const { return header_; }
  const ArtifactManifest &manifest() const { return manifest_; }
  std::string_view manifestText() const;
  const unsigned char *code() const { return base_ + header_.codeOffset; }
  size_t codeSize() const { return header_.codeSize; }
  // Page-aligned (the mapping is page-aligned and weights_offset is a multiple of 4096).
  const unsigned char *weights() const { return base_ + header_.weightsOffset; }
  size_t weightsSize() const { return header_.weightsSize; }

 private:
  ArtifactFile() = default;

  std::string path_;
  const unsigned char *base_ = nullptr;
  size_t mappedSize_ = 0;
  ArtifactHeader header_{};
  ArtifactManifest manifest_;
};

}  // namespace tern

#endif  // TERN_ARTIFACT_H
