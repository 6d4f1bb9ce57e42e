#include "shared_object.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tern {

std::unique_ptr<InMemorySharedObject> InMemorySharedObject::load(const std::string &name,
                                                                 const void *bytes, size_t size,
                                                                 std::string *error) {
  std::unique_ptr<InMemorySharedObject> object(new InMemorySharedObject());
  object->memfd_ = ::memfd_create(name.c_str(), MFD_CLOEXEC);
  if (object->memfd_ < 0) {
    *error = std::string("memfd_create failed: ") + std::strerror(errno);
    return nullptr;
  }
  const char *p = static_cast<const char *>(bytes);
  for (size_t left = size; left > 0;) {
    ssize_t n = ::write(object->memfd_, p, std::min<size_t>(left, size_t(1) << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("cannot write the code to a memfd: ") + std::strerror(errno);
      return nullptr;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  const std::string fdPath = "/proc/self/fd/" + std::to_string(object->memfd_);
  object->handle_ = ::dlopen(fdPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!object->handle_) {
    const char *why = ::dlerror();
    *error = std::string("cannot load the generated code: ") + (why ? why : "dlopen failed");
    return nullptr;
  }
  // The memfd stays open until after dlclose: glibc recognises an already-loaded library by the name
  // passed to dlopen, so if this fd number were freed and reused by another model's memfd, that
  // model's dlopen("/proc/self/fd/N") would silently get this library back.
  return object;
}

InMemorySharedObject::~InMemorySharedObject() {
  if (handle_) ::dlclose(handle_);
  if (memfd_ < 0) return;
  // dlclose may leave the library loaded (another reference, or an object glibc will not unload).
  // Its name then stays taken: closing the fd would let the next memfd reuse the number and that
  // model's dlopen would get this library back. Such an fd is kept open for the process's life.
  const std::string fdPath = "/proc/self/fd/" + std::to_string(memfd_);
  if (void *still = ::dlopen(fdPath.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    ::dlclose(still);
    return;
  }
  ::close(memfd_);
}

void *InMemorySharedObject::symbol(const std::string &symbol, std::string *error) const {
  ::dlerror();  // clear any stale error
  void *address = ::dlsym(handle_, symbol.c_str());
  if (!address) {
    const char *why = ::dlerror();
    *error = "the generated code does not define \"" + symbol + "\"" +
             (why ? std::string(" (") + why + ")" : std::string());
  }
  return address;
}

}  // namespace tern
