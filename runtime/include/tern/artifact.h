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
#include <vector>

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
// eos_token_id (integers; -1 here when absent or null), kind, producer, abi (must be "memref-v1"
// when present), and tokenizer: null, or {"format": non-empty string, "offset", "bytes"} locating the
// tokenizer's bytes inside the weights section (ArtifactFile::open checks they lie inside it). Every
// other member is carried along untouched.
//
// An artifact of kind "mlir" (a compiled MLIR module, docs/artifact.md) has no model, entry_points
// or state; it requires instead "functions": [{"name", "symbol", "arguments": [{"dtype", "shape"}],
// "results": [...]}, ...], dtype one of f32, f64, i8, i16, i32, i64 and shape sizes >= 0 or -1
// (known only at run time).
struct ArtifactTensorSpec {
  std::string dtype;
  std::vector<int64_t> shape;  // -1: known only at run time
};
struct ArtifactFunction {
  std::string name;    // the func.func's name
  std::string symbol;  // its C interface in the code, "_mlir_ciface_" + name
  std::vector<ArtifactTensorSpec> arguments, results;
};
inline constexpr const char *kArtifactKindModule = "mlir";
// Bounds of the generic call path (runtime/src/function_call.cpp): the rank of a tensor, and the
// pointers one call passes (the results struct, the weights, one per argument).
inline constexpr size_t kArtifactMaxRank = 8;
inline constexpr size_t kArtifactMaxCallPointers = 16;
// Bytes per element of a manifest dtype ("f32", ...), 0 for any other string.
size_t artifactDtypeSize(const std::string &dtype);

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
  // Batch decode (one token of each of B sequences, state [B, L, H]); empty in artifacts that
  // predate it.
  std::string decodeBatchSymbol;
  uint32_t codeCrc32 = 0;
  uint32_t weightsCrc32 = 0;
  // The tokenizer the artifact carries: empty format when none. Offset and size are bytes within
  // the weights section.
  std::string tokenizerFormat;
  uint64_t tokenizerOffset = 0;
  uint64_t tokenizerSize = 0;
  // Kind "mlir": the compiled functions (the model members above are then zero/empty).
  std::vector<ArtifactFunction> functions;
};

// The format name of a SentencePiece model (a tokenizer.model file's bytes) in the manifest.
inline constexpr const char *kTokenizerSentencePiece = "sentencepiece";
// The tokenizer's bytes start at a multiple of this within the weights section.
inline constexpr uint64_t kArtifactTokenizerAlignment = 64;

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

// A tokenizer to store in the artifact: its manifest format name and its bytes.
struct ArtifactTokenizer {
  std::string format = kTokenizerSentencePiece;
  const void *data = nullptr;
  size_t size = 0;
};

// The same, storing `tokenizer` (when its size is not 0) after the weights, inside the weights
// section at the next multiple of kArtifactTokenizerAlignment, and setting the manifest's
// "tokenizer" member to {"format", "offset", "bytes"} (null without a tokenizer). The weights
// checksum covers the whole section, tokenizer included; the generated code never reads past its
// own weights.
bool writeArtifact(const std::string &path, const std::string &manifestJson, const void *code,
                   size_t codeSize, const void *weights, size_t weightsSize,
                   const ArtifactTokenizer &tokenizer, std::string *error);

// --- Executables with an artifact inside (`ternc --emit=exe`) ----------------------------------
// Such an executable is a runner program (tern-run) with an artifact appended: the runner's bytes,
// zero padding to a multiple of 4096, the artifact, then a 24-byte trailer: artifact offset (u64),
// artifact size (u64), and the magic "TERNEXE\0". The artifact keeps its own layout, so its weights
// stay page-aligned within the executable file and are mmap'd from it in place.
inline constexpr char kBundleMagic[8] = {'T', 'E', 'R', 'N', 'E', 'X', 'E', '\0'};
inline constexpr uint64_t kBundleTrailerSize = 24;

// Where the artifact lies in an ELF file that carries one; false when `fd` (of `fileSize` bytes) is
// not an ELF file ending in a trailer whose artifact lies page-aligned inside it.
bool findBundledArtifact(int fd, uint64_t fileSize, uint64_t *offset, uint64_t *size);
bool hasBundledArtifact(const std::string &path);

// Writes `runnerPath`'s bytes with `artifactPath`'s appended, as described above, to `outPath`
// (atomically, mode 0755). Refuses a runner that already carries an artifact and an artifact that
// ArtifactFile::open refuses. Errors start with the path concerned.
bool writeBundledExecutable(const std::string &runnerPath, const std::string &artifactPath,
                            const std::string &outPath, std::string *error);

// A validated, read-only, memory-mapped artifact. `path` is a .tern file, or an executable that
// carries one (findBundledArtifact), whose artifact is then read in place. open() checks, in this
// order: the file is a regular file of at least 64 bytes; magic; format_version; header_size; every section inside the file and no
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
  // The bytes the generated code reads: the whole weights section, or, when the artifact carries a
  // tokenizer, the part before it (tokenizer.offset bytes: the weights and up to 63 bytes of padding).
  size_t weightsSize() const {
    return manifest_.tokenizerFormat.empty() ? header_.weightsSize : manifest_.tokenizerOffset;
  }
  // The tokenizer's bytes (inside the weights section); empty when the artifact carries none.
  std::string_view tokenizer() const {
    return std::string_view(reinterpret_cast<const char *>(weights()) + manifest_.tokenizerOffset,
                            manifest_.tokenizerSize);
  }

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
