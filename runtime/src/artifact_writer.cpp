// writeArtifact: lays out header, manifest, code and weights, and writes them atomically.
#include <cstring>

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
  auto fail = [&](const std::string &message) {
    *error = path + ": " + message;
    return false;
  };
  if (codeSize == 0 || !code) return fail("cannot write an artifact without code");
  if (weightsSize > 0 && !weights) return fail("weights pointer is null");

  const std::string codeCrc = formatArtifactCrc32(artifactCrc32(code, codeSize));
  const std::string weightsCrc = formatArtifactCrc32(artifactCrc32(weights, weightsSize));
  std::string manifestText;
  try {
    // ordered_json keeps the compiler's member order, so the manifest stays readable.
    nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(manifestJson);
    if (!manifest.is_object()) return fail("the manifest must be a JSON object");
    manifest["checksums"] = {{"algorithm", "crc32"}, {"code", codeCrc}, {"weights", weightsCrc}};
    manifestText = manifest.dump(2) + "\n";
  } catch (const nlohmann::json::exception &e) {
    return fail(std::string("manifest: ") + e.what());
  }
  ArtifactManifest parsed;
  std::string why;
  if (!parseArtifactManifest(manifestText, &parsed, &why)) return fail("manifest: " + why);

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
  header.weightsSize = weightsSize;
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
         writeSection(header.weightsOffset, weights, weightsSize) && out.commit(error);
}

}  // namespace tern
