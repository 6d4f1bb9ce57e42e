// Writes a file so that its final path never holds a partial file: the bytes go to a temporary in
// the same directory (same file system, so the rename is atomic), which is fsync'd and renamed over
// PATH on commit() and removed if the writer is destroyed uncommitted.
//
// The temporary is unnamed (O_TMPFILE) where the file system allows it, so a process killed while
// writing leaves nothing behind; it is given the name `PATH.tmp.PID.N` only once complete, just
// before the rename. Elsewhere it is a named `PATH.tmp.XXXXXX` from the start.
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

  bool linkUnnamed(std::string *error);
  std::string tempName() const { return tempPath_.empty() ? "its temporary file" : tempPath_; }

  std::string path_;
  std::string tempPath_;  // empty while the temporary is unnamed
  int fd_ = -1;
  bool unnamed_ = false;
};

}  // namespace tern

#endif  // TERN_RUNTIME_ATOMIC_FILE_H
