#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
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
    if (n <= 0) return fail("cannot write " + tempPath_, n < 0 ? errno : EIO, error);
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

bool AtomicFile::commit(std::string *error) {
  if (::fsync(fd_) != 0) return fail("cannot fsync " + tempPath_, errno, error);
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
