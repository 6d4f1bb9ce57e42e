// Writes a file so that its final path never holds a partial file: the bytes go to a temporary
// `PATH.tmp.XXXXXX` in the same directory (same file system, so the rename is atomic), which is
// fsync'd and renamed over PATH on commit() and removed if the writer is destroyed uncommitted.
#ifndef TERN_RUNTIME_ATOMIC_FILE_H
#define TERN_RUNTIME_ATOMIC_FILE_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace tern {

class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  // Every error message starts with the final path.
  bool open(const std::string &path, std::string *error);
  bool write(const void *data, size_t size, std::string *error);
  bool writeZeros(uint64_t count, std::string *error);
  bool commit(std::string *error);

 private:
  bool fail(const std::string &what, int err, std::string *error);
  void discard();

  std::string path_;
  std::string tempPath_;
  int fd_ = -1;
};

}  // namespace tern

#endif  // TERN_RUNTIME_ATOMIC_FILE_H
