#include "scratch_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace tern::fuzz {
namespace {

std::string makeScratchDir() {
  const char *tmp = std::getenv("TMPDIR");
  std::string parent = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (tmp && *tmp ? tmp : "/tmp");
  std::string pattern = parent + "/tern-fuzz.XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    std::perror("tern fuzz: mkdtemp");
    std::abort();
  }
  return pattern;
}

void removeScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(scratchDir(), ignored);
}

} // namespace

const std::string &scratchDir() {
  // Never destroyed: the atexit handler that removes the directory runs after
  // the destructors of statics made before it was registered.
  static const std::string *dir = [] {
    auto *made = new std::string(makeScratchDir());
    std::atexit(removeScratchDir);
    return made;
  }();
  return *dir;
}

std::string writeScratchFile(const std::string &name, const void *data, size_t size) {
  std::string path = scratchDir() + "/" + name;
  FILE *out = std::fopen(path.c_str(), "wb");
  if (!out || (size && std::fwrite(data, 1, size, out) != size) || std::fclose(out) != 0) {
    std::perror(("tern fuzz: writing " + path).c_str());
    std::abort();
  }
  return path;
}

} // namespace tern::fuzz
