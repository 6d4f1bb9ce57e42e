// writeArtifact: lays out header, manifest, code and weights, and writes them atomically.
#include <zlib.h>

#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "tern/artifact.h"

namespace tern {
namespace {

uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

bool writeArtifact(const std::string &path, const std::string &manifestJson, const void *code,
                   size_t codeSize, const void *weights, size_t weightsSize, std::string *error) {
  return writeArtifact(path, manifestJson, code, codeSize, weights, weightsSize, ArtifactTokenizer{},
                       error);
}

bool writeArtifact(const std::string &path, const std::string &manifestJson, const void *code,
                   size_t codeSize, const void *weights, size_t weightsSize,
                   const ArtifactTokenizer &tokenizer, std::string *error) {
  auto fail = [&](const std::string &message) {
    *error = path + ": " + message;
    return false;
  };
  if (codeSize == 0 || !code) return fail("cannot write an artifact without code");
  if (weightsSize > 0 && !weights) return fail("weights pointer is null");
  if (tokenizer.size > 0 && (!tokenizer.data || tokenizer.format.empty()))
    return fail("the tokenizer has no bytes or no format name");

  // The weights section: the weights, then (with a tokenizer) zeros up to its aligned offset and
  // its bytes. One CRC-32 covers it all.
  const uint64_t tokenizerOffset =
      tokenizer.size ? alignUp(weightsSize, kArtifactTokenizerAlignment) : 0;
  const std::vector<unsigned char> tokenizerPadding(tokenizer.size ? tokenizerOffset - weightsSize : 0);
  const uint64_t sectionSize = tokenizer.size ? tokenizerOffset + tokenizer.size : weightsSize;
  uLong sectionCrc = crc32_z(0L, Z_NULL, 0);
  auto crcOf = [&](const void *data, size_t size) {  // crc32_z(crc, NULL, 0) would restart at 0
    if (size) sectionCrc = crc32_z(sectionCrc, static_cast<const Bytef *>(data), size);
  };
  crcOf(weights, weightsSize);
  crcOf(tokenizerPadding.data(), tokenizerPadding.size());
  crcOf(tokenizer.data, tokenizer.size);

  const std::string codeCrc = formatArtifactCrc32(artifactCrc32(code, codeSize));
  const std::string weightsCrc = formatArtifactCrc32(static_cast<uint32_t>(sectionCrc));
  std::string manifestText;
  ArtifactManifest parsed;
  try {
    // ordered_json keeps the compiler's member order, so the manifest stays readable.
    nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(manifestJson);
    if (!manifest.is_object()) return fail("the manifest must be a JSON object");
    if (tokenizer.size)
      manifest["tokenizer"] = {
          {"format", tokenizer.format}, {"offset", tokenizerOffset}, {"bytes", tokenizer.size}};
    manifest["checksums"] = {{"algorithm", "crc32"}, {"code", codeCrc}, {"weights", weightsCrc}};
    manifestText = manifest.dump(2) + "\n";
  } catch (const nlohmann::json::exception &e) {
    return fail(std::string("manifest: ") + e.what());
  }
  std::string why;
  if (!parseArtifactManifest(manifestText, &parsed, &why)) return fail("manifest: " + why);
  if (!parsed.tokenizerFormat.empty() && (parsed.tokenizerOffset > sectionSize ||
                                          parsed.tokenizerSize > sectionSize - parsed.tokenizerOffset))
    return fail("manifest: the tokenizer (offset " + std::to_string(parsed.tokenizerOffset) + ", " +
                std::to_string(parsed.tokenizerSize) + " bytes) lies outside the weights section (" +
                std::to_string(sectionSize) + " bytes)");

  ArtifactHeader header{};
  std::memcpy(header.magic, kArtifactMagic, 8);
  header.formatVersion = kArtifactFormatVersion;
  header.headerSize = kArtifactHeaderSize;
  header.manifestOffset = kArtifactHeaderSize;
  header.manifestSize = manifestText.size();
  // Code gets cache-line alignment for tidiness; weights get page alignment so they mmap in place.
  header.codeOffset = alignUp(header.manifestOffset + header.manifestSize, 64);
  header.codeSize = codeSize;
  header.weightsOffset = alignUp(header.codeOffset + codeSize, kArtifactWeightsAlignment);
  header.weightsSize = sectionSize;
  unsigned char headerBytes[kArtifactHeaderSize];
  encodeArtifactHeader(header, headerBytes);

  AtomicFile out;
  uint64_t position = 0;
  auto writeSection = [&](uint64_t offset, const void *data, uint64_t size) {
    if (!out.writeZeros(offset - position, error) || !out.write(data, size, error)) return false;
    position = offset + size;
    return true;
  };
  return out.open(path, error) && writeSection(0, headerBytes, sizeof headerBytes) &&
         writeSection(header.manifestOffset, manifestText.data(), header.manifestSize) &&
         writeSection(header.codeOffset, code, codeSize) &&
         writeSection(header.weightsOffset, weights, weightsSize) &&
         (!tokenizer.size ||
          writeSection(header.weightsOffset + tokenizerOffset, tokenizer.data, tokenizer.size)) &&
         out.commit(error);
}

}  // namespace tern
