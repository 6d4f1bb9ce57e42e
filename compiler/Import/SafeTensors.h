//===- SafeTensors.h - read-only, validated .safetensors files -*- C++ -*-===//
//
// A .safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON mapping tensor names to {dtype, shape, data_offsets}, then the raw
// little-endian data; offsets are relative to the end of the header. The file
// is memory-mapped and every entry is validated up front, so a TensorView's
// bytes can be used without further checks.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_SAFETENSORS_H
#define TERN_COMPILER_IMPORT_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern {

/// The element types tern reads; other safetensors dtypes are refused.
enum class DType { BF16, F16, F32 };

/// The safetensors spelling: "BF16", "F16", "F32".
llvm::StringRef dtypeName(DType dtype);
/// Bytes per element.
int64_t dtypeSize(DType dtype);
/// Parses a safetensors dtype spelling; nullopt if tern does not read it.
std::optional<DType> parseDType(llvm::StringRef name);

/// "[a, b]": the shape format used in every diagnostic.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// One tensor inside a mapped file. `bytes` points into the mapping, so the
/// view lives as long as the SafeTensorsFile that made it.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  llvm::ArrayRef<uint8_t> bytes; // little-endian, not necessarily aligned
  std::string file;              // path of the file it lives in

  int64_t numElements() const;
  /// Converts every element to float; `out` holds numElements() floats.
  /// BF16/F16 to F32 is exact (subnormals, infinities and NaNs included).
  void toFloat32(float *out) const;
};

/// Exact scalar conversions, exposed for tests and other readers.
float bf16BitsToFloat(uint16_t bits);
float f16BitsToFloat(uint16_t bits);

class SafeTensorsFile {
public:
  /// Maps and validates the file. Errors name the file and, where one is at
  /// fault, the tensor.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  open(llvm::StringRef path);
  /// Validates a file already in memory (the fuzz target's entry point);
  /// `path` only names it in errors. The views point into `contents`.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> contents,
             llvm::StringRef path);

  const std::string &path() const { return filePath; }
  /// All tensors, sorted by name; `__metadata__` is not one of them.
  const std::vector<TensorView> &tensors() const { return views; }
  /// The named tensor, or nullptr.
  const TensorView *find(llvm::StringRef name) const;

private:
  SafeTensorsFile() = default;

  std::string filePath;
  std::unique_ptr<llvm::MemoryBuffer> mapping;
  std::vector<TensorView> views;
  llvm::StringMap<size_t> indexByName;
};

} // namespace tern

#endif // TERN_COMPILER_IMPORT_SAFETENSORS_H
