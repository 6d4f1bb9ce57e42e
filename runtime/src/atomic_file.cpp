#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace tern {
namespace {

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ >= 0) ::close(fd_);  // an unnamed temporary is freed here
  fd_ = -1;
  unnamed_ = false;
  if (!tempPath_.empty()) ::unlink(tempPath_.c_str());
  tempPath_.clear();
}

bool AtomicFile::fail(const std::string &what, int err, std::string *error) {
  *error = path_ + ": " + what + ": " + std::strerror(err);
  discard();
  return false;
}

bool AtomicFile::open(const std::string &path, std::string *error) {
  discard();
  path_ = path;
#ifdef O_TMPFILE
  // linkUnnamed() names the file through /proc/self/fd; without /proc, use a named temporary.
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(directoryOf(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      unnamed_ = true;
      if (::fchmod(fd_, 0644) != 0)
        return fail("cannot set permissions on " + tempName(), errno, error);
      return true;
    }
    // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; ENOENT and the like recur below with a clear
    // message.
  }
#endif
  tempPath_ = path + ".tmp.XXXXXX";
  fd_ = ::mkstemp(tempPath_.data());
  if (fd_ < 0) {
    tempPath_.clear();  // nothing was created
    return fail("cannot create a temporary file beside it", errno, error);
  }
  // mkstemp creates 0600; outputs are meant to be shared like any other build product.
  if (::fchmod(fd_, 0644) != 0) return fail("cannot set permissions on " + tempPath_, errno, error);
  return true;
}

bool AtomicFile::write(const void *data, size_t size, std::string *error) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, std::min<size_t>(size, size_t(1) << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write " + tempName(), n < 0 ? errno : EIO, error);
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool AtomicFile::writeZeros(uint64_t count, std::string *error) {
  static const char kZeros[4096] = {};
  while (count > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(count, sizeof kZeros));
    if (!write(kZeros, n, error)) return false;
    count -= n;
  }
  return true;
}

bool AtomicFile::linkUnnamed(std::string *error) {
  const std::string fdPath = "/proc/self/fd/" + std::to_string(fd_);
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    tempPath_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    if (::linkat(AT_FDCWD, fdPath.c_str(), AT_FDCWD, tempPath_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      unnamed_ = false;
      return true;
    }
    const int err = errno;
    tempPath_.clear();  // not created
    if (err != EEXIST) return fail("cannot name the temporary file", err, error);
  }
  return fail("cannot name the temporary file", EEXIST, error);
}

bool AtomicFile::commit(std::string *error) {
  if (::fsync(fd_) != 0) return fail("cannot fsync " + tempName(), errno, error);
  // linkat cannot replace PATH, so the complete file gets a temporary name and is renamed over it.
  if (unnamed_ && !linkUnnamed(error)) return false;
  int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) return fail("cannot close " + tempPath_, errno, error);
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0)
    return fail("cannot rename " + tempPath_ + " to it", errno, error);
  tempPath_.clear();
  // Make the rename itself durable; the file is complete either way, so this is best effort.
  int dirFd = ::open(directoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return true;
}

}  // namespace tern
