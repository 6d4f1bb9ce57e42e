// Executables that carry an artifact (`ternc --emit=exe`): the trailer, and the writer.
//
// Appending keeps the build of such an executable a file copy: no compiler, assembler or linker is
// needed where ternc runs, the runner (tern-run) is the same binary that was tested, and the
// artifact's weights, page-aligned inside the file, are mmap'd from it like from a .tern file.
// (`strip` would cut the appended bytes off: an executable made this way must not be stripped.)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "atomic_file.h"
#include "tern/artifact.h"

namespace tern {
namespace {

constexpr unsigned char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint64_t kBundleAlignment = 4096;  // so the artifact's weights stay page-aligned

void putU64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint64_t getU64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool readAt(int fd, void *buffer, size_t size, uint64_t offset) {
  return ::pread(fd, buffer, size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

}  // namespace

bool findBundledArtifact(int fd, uint64_t fileSize, uint64_t *offset, uint64_t *size) {
  unsigned char elf[4], trailer[kBundleTrailerSize];
  if (fileSize < kBundleAlignment + kBundleTrailerSize || !readAt(fd, elf, sizeof elf, 0) ||
      std::memcmp(elf, kElfMagic, sizeof elf) != 0 ||
      !readAt(fd, trailer, sizeof trailer, fileSize - kBundleTrailerSize) ||
      std::memcmp(trailer + 16, kBundleMagic, sizeof kBundleMagic) != 0)
    return false;
  const uint64_t at = getU64(trailer), bytes = getU64(trailer + 8);
  const uint64_t room = fileSize - kBundleTrailerSize;
  if (at % kBundleAlignment != 0 || at > room || bytes > room - at) return false;
  *offset = at;
  *size = bytes;
  return true;
}

bool hasBundledArtifact(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  uint64_t offset, size;
  bool found = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
               findBundledArtifact(fd, static_cast<uint64_t>(st.st_size), &offset, &size);
  ::close(fd);
  return found;
}

bool writeBundledExecutable(const std::string &runnerPath, const std::string &artifactPath,
                            const std::string &outPath, std::string *error) {
  std::ifstream runnerFile(runnerPath, std::ios::binary);
  if (!runnerFile) {
    *error = runnerPath + ": cannot open: " + std::strerror(errno);
    return false;
  }
  const std::vector<char> runner((std::istreambuf_iterator<char>(runnerFile)),
                                 std::istreambuf_iterator<char>());
  if (runner.size() < sizeof kElfMagic || std::memcmp(runner.data(), kElfMagic, sizeof kElfMagic) != 0) {
    *error = runnerPath + ": not an ELF executable";
    return false;
  }
  if (hasBundledArtifact(runnerPath)) {
    *error = runnerPath + ": already carries an artifact; give the plain tern-run";
    return false;
  }
  std::unique_ptr<ArtifactFile> artifact = ArtifactFile::open(artifactPath, error);
  if (!artifact) return false;
  if (hasBundledArtifact(artifactPath)) {
    *error = artifactPath + ": is an executable, not a .tern file";
    return false;
  }
  std::ifstream artifactFile(artifactPath, std::ios::binary);
  if (!artifactFile) {
    *error = artifactPath + ": cannot open: " + std::strerror(errno);
    return false;
  }

  const uint64_t artifactOffset = (runner.size() + kBundleAlignment - 1) / kBundleAlignment * kBundleAlignment;
  AtomicFile out;
  if (!out.open(outPath, error) || !out.write(runner.data(), runner.size(), error) ||
      !out.writeZeros(artifactOffset - runner.size(), error))
    return false;
  uint64_t artifactSize = 0;
  std::vector<char> chunk(size_t(1) << 20);
  while (artifactFile) {
    artifactFile.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(artifactFile.gcount());
    if (got && !out.write(chunk.data(), got, error)) return false;
    artifactSize += got;
  }
  if (artifactFile.bad()) {
    *error = artifactPath + ": read error";
    return false;
  }
  unsigned char trailer[kBundleTrailerSize];
  putU64(trailer, artifactOffset);
  putU64(trailer + 8, artifactSize);
  std::memcpy(trailer + 16, kBundleMagic, sizeof kBundleMagic);
  if (!out.write(trailer, sizeof trailer, error) || !out.commit(error)) return false;
  if (::chmod(outPath.c_str(), 0755) != 0) {
    *error = outPath + ": cannot make it executable: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace tern
