// A .npy file -> parseNpy (runtime/src/npy.cpp, the reader behind readNpy).
//
// Oracle: no crash; an accepted array's bytes are exactly its element count
// times the item size, and the count does not overflow.
#include "npy.h"

#include <cstdio>
#include <cstdlib>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "npy fuzzer: accepted file breaks: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view file(reinterpret_cast<const char *>(data), size);
  tern::NpyArray array;
  std::string why;
  if (!tern::parseNpy(file, &array, &why)) {
    check(!why.empty(), "a refusal says why");
    return 0;
  }
  uint64_t elements = 1;
  for (int64_t d : array.shape) {
    check(d >= 0, "dimensions are non-negative");
    check(!__builtin_mul_overflow(elements, uint64_t(d), &elements), "element count fits");
  }
  const uint64_t item = tern::npyItemSize(array.dtype);
  check(elements * item == array.bytes.size(), "bytes match the shape");
  check(uint64_t(array.elementCount()) == elements, "elementCount() agrees");
  return 0;
}
