// The header's byte order, CRC-32, and ArtifactFile: the validating, memory-mapped reader.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "tern/artifact.h"

namespace tern {
namespace {

std::string errnoText(int err) { return std::strerror(err); }

void putU32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void putU64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint32_t getU32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t getU64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The manifest is parsed into a JSON tree several times its size; real ones are kilobytes (a
// tokenizer's vocabulary, if one is ever stored there, a few megabytes).
constexpr uint64_t kMaxManifestBytes = uint64_t(64) << 20;

struct SectionExtent {
  const char *name;
  uint64_t offset, size;
};

}  // namespace

void encodeArtifactHeader(const ArtifactHeader &h, unsigned char out[kArtifactHeaderSize]) {
  std::memset(out, 0, kArtifactHeaderSize);
  std::memcpy(out, h.magic, 8);
  putU32(out + 8, h.formatVersion);
  putU32(out + 12, h.headerSize);
  putU64(out + 16, h.manifestOffset);
  putU64(out + 24, h.manifestSize);
  putU64(out + 32, h.codeOffset);
  putU64(out + 40, h.codeSize);
  putU64(out + 48, h.weightsOffset);
  putU64(out + 56, h.weightsSize);
}

ArtifactHeader decodeArtifactHeader(const unsigned char in[kArtifactHeaderSize]) {
  ArtifactHeader h;
  std::memcpy(h.magic, in, 8);
  h.formatVersion = getU32(in + 8);
  h.headerSize = getU32(in + 12);
  h.manifestOffset = getU64(in + 16);
  h.manifestSize = getU64(in + 24);
  h.codeOffset = getU64(in + 32);
  h.codeSize = getU64(in + 40);
  h.weightsOffset = getU64(in + 48);
  h.weightsSize = getU64(in + 56);
  return h;
}

uint32_t artifactCrc32(const void *data, size_t size) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  return static_cast<uint32_t>(crc32_z(crc, static_cast<const Bytef *>(data), size));
}

std::unique_ptr<ArtifactFile> ArtifactFile::open(const std::string &path, std::string *error,
                                                 bool verifyChecksums) {
  auto fail = [&](const std::string &message) {
    *error = path + ": " + message;
    return nullptr;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open: " + errnoText(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail("cannot stat: " + errnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  // fileSize: the artifact's bytes. An executable made by `ternc --emit=exe` carries its artifact
  // at a page-aligned offset, mapped from there.
  uint64_t start = 0, fileSize = static_cast<uint64_t>(st.st_size);
  if (uint64_t offset, size; findBundledArtifact(fd, fileSize, &offset, &size)) {
    start = offset;
    fileSize = size;
  }
  if (fileSize < kArtifactHeaderSize) {
    ::close(fd);
    return fail("file is " + std::to_string(fileSize) + " bytes, too small for the " +
                std::to_string(kArtifactHeaderSize) + "-byte artifact header");
  }
  void *mapping = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
  int mmapErr = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (mapping == MAP_FAILED) return fail("cannot mmap: " + errnoText(mmapErr));

  std::unique_ptr<ArtifactFile> file(new ArtifactFile());
  file->path_ = path;
  file->base_ = static_cast<const unsigned char *>(mapping);
  file->mappedSize_ = fileSize;
  const ArtifactHeader h = decodeArtifactHeader(file->base_);
  file->header_ = h;

  if (std::memcmp(h.magic, kArtifactMagic, 8) != 0)
    return fail("not a .tern artifact (bad magic; expected \"TERNART\\0\")");
  if (h.formatVersion != kArtifactFormatVersion)
    return fail("artifact format version " + std::to_string(h.formatVersion) +
                " is not supported (this runtime reads version " +
                std::to_string(kArtifactFormatVersion) + ")");
  if (h.headerSize != kArtifactHeaderSize)
    return fail("header_size is " + std::to_string(h.headerSize) + ", format version 1 has " +
                std::to_string(kArtifactHeaderSize));

  const SectionExtent sections[] = {{"header", 0, kArtifactHeaderSize},
                                    {"manifest", h.manifestOffset, h.manifestSize},
                                    {"code", h.codeOffset, h.codeSize},
                                    {"weights", h.weightsOffset, h.weightsSize}};
  auto extentText = [](const SectionExtent &s) {
    return std::string(s.name) + " section (offset " + std::to_string(s.offset) + ", size " +
           std::to_string(s.size) + ")";
  };
  for (const SectionExtent &s : sections) {
    if (s.offset > fileSize || s.size > fileSize - s.offset)  // written so it cannot overflow
      return fail("the " + extentText(s) + " lies outside the file (" + std::to_string(fileSize) +
                  " bytes); the file is truncated or corrupt");
  }
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = i + 1; j < 4; ++j) {
      const SectionExtent &a = sections[i], &b = sections[j];
      if (a.size && b.size && a.offset < b.offset + b.size && b.offset < a.offset + a.size)
        return fail("the " + extentText(a) + " overlaps the " + extentText(b));
    }
  }
  if (h.weightsOffset % kArtifactWeightsAlignment != 0)
    return fail("weights_offset " + std::to_string(h.weightsOffset) + " is not a multiple of " +
                std::to_string(kArtifactWeightsAlignment));
  if (h.codeSize == 0) return fail("the code section is empty");
  if (h.manifestSize > kMaxManifestBytes)
    return fail("the manifest section is " + std::to_string(h.manifestSize) +
                " bytes, more than the " + std::to_string(kMaxManifestBytes >> 20) + " MiB limit");

  std::string why;
  if (!parseArtifactManifest(file->manifestText(), &file->manifest_, &why))
    return fail("manifest: " + why);
  const ArtifactManifest &m = file->manifest_;
  if (!m.tokenizerFormat.empty() &&
      (m.tokenizerOffset > h.weightsSize || m.tokenizerSize > h.weightsSize - m.tokenizerOffset))
    return fail("manifest: the tokenizer (offset " + std::to_string(m.tokenizerOffset) + ", " +
                std::to_string(m.tokenizerSize) + " bytes) lies outside the weights section (" +
                std::to_string(h.weightsSize) + " bytes)");

  if (verifyChecksums) {
    const uint32_t codeCrc = artifactCrc32(file->code(), file->codeSize());
    if (codeCrc != file->manifest_.codeCrc32)
      return fail("code section checksum mismatch (manifest " + formatArtifactCrc32(file->manifest_.codeCrc32) +
                  ", computed " + formatArtifactCrc32(codeCrc) + "): the file is corrupt");
    const uint32_t weightsCrc = artifactCrc32(file->weights(), h.weightsSize);  // tokenizer included
    if (weightsCrc != file->manifest_.weightsCrc32)
      return fail("weights section checksum mismatch (manifest " +
                  formatArtifactCrc32(file->manifest_.weightsCrc32) + ", computed " + formatArtifactCrc32(weightsCrc) +
                  "): the file is corrupt");
  }
  return file;
}

ArtifactFile::~ArtifactFile() {
  if (base_) ::munmap(const_cast<unsigned char *>(base_), mappedSize_);
}

std::string_view ArtifactFile::manifestText() const {
  return std::string_view(reinterpret_cast<const char *>(base_ + header_.manifestOffset),
                          header_.manifestSize);
}

}  // namespace tern
