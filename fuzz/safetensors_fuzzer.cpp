// A .safetensors file -> SafeTensorsFile::fromBuffer (compiler/Import/SafeTensors.cpp).
//
// Oracle: no crash or sanitizer report; every accepted tensor's bytes lie
// inside the buffer, match its dtype and shape, and convert to float. The
// buffer is an exact-size copy, so ASan sees any read past its end.
#include "compiler/Import/SafeTensors.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "safetensors fuzzer: accepted file breaks: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.safetensors");
  const char *begin = buffer->getBufferStart(), *end = buffer->getBufferEnd();
  auto file = tern::SafeTensorsFile::fromBuffer(std::move(buffer), "fuzz.safetensors");
  if (!file) {
    std::string message = llvm::toString(file.takeError());
    check(llvm::StringRef(message).starts_with("fuzz.safetensors: "), "error names the file");
    return 0;
  }
  std::vector<float> values;
  for (const tern::TensorView &view : (*file)->tensors()) {
    const char *first = reinterpret_cast<const char *>(view.bytes.data());
    check(view.bytes.empty() || (first >= begin && first + view.bytes.size() <= end),
          "tensor bytes inside the file");
    check(int64_t(view.bytes.size()) == view.numElements() * tern::dtypeSize(view.dtype),
          "byte size matches dtype and shape");
    check((*file)->find(view.name) == &view, "find() returns the view");
    values.resize(view.numElements());
    view.toFloat32(values.data());
  }
  return 0;
}
