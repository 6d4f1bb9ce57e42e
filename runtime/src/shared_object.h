// Loads an ELF shared object from bytes in memory, without writing it to the file system.
#ifndef TERN_RUNTIME_SHARED_OBJECT_H
#define TERN_RUNTIME_SHARED_OBJECT_H

#include <cstddef>
#include <memory>
#include <string>

namespace tern {

class InMemorySharedObject {
 public:
  // Copies `bytes` into a memfd and dlopens "/proc/self/fd/N" with RTLD_NOW | RTLD_LOCAL, so every
  // undefined symbol is resolved (or reported) here rather than at the first call. `name` labels the
  // memfd (visible in /proc/PID/maps). Errors are prefixed by the caller.
  static std::unique_ptr<InMemorySharedObject> load(const std::string &name, const void *bytes,
                                                    size_t size, std::string *error);
  ~InMemorySharedObject();
  InMemorySharedObject(const InMemorySharedObject &) = delete;
  InMemorySharedObject &operator=(const InMemorySharedObject &) = delete;

  // Returns nullptr and sets *error when `symbol` is not defined.
  void *symbol(const std::string &symbol, std::string *error) const;

 private:
  InMemorySharedObject() = default;
  int memfd_ = -1;
  void *handle_ = nullptr;
};

}  // namespace tern

#endif  // TERN_RUNTIME_SHARED_OBJECT_H
