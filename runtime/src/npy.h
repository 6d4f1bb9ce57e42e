// NumPy .npy files: write float32 arrays (C order, format 1.0) and read f32/i32/i64 arrays.
#ifndef TERN_RUNTIME_NPY_H
#define TERN_RUNTIME_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

enum class NpyDType { Float32, Int32, Int64, Float64, Int8, Int16 };

// Bytes per element, and the little-endian descr NumPy writes ('<f4', '|i1', ...).
size_t npyItemSize(NpyDType dtype);
const char *npyDescr(NpyDType dtype);

struct NpyArray {
  NpyDType dtype = NpyDType::Float32;
  std::vector<int64_t> shape;       // () for a scalar
  std::vector<unsigned char> bytes;  // C-order elements, little-endian

  int64_t elementCount() const;
  // The caller checks `dtype` first; the storage is suitably aligned for all three types.
  const float *f32() const { return reinterpret_cast<const float *>(bytes.data()); }
  const int32_t *i32() const { return reinterpret_cast<const int32_t *>(bytes.data()); }
  const int64_t *i64() const { return reinterpret_cast<const int64_t *>(bytes.data()); }
};

// Writes `data` (prod(shape) floats) as a '<f4' C-order .npy, format 1.0, header padded so the data
// starts at a multiple of 64 bytes. Goes through a temporary file and a rename, so `path` never holds a
// partial file. Errors start with the path.
bool writeNpyFloat32(const std::string &path, const float *data, const std::vector<int64_t> &shape,
                     std::string *error);
// The same for any of the dtypes above: prod(shape) elements of npyItemSize(dtype) bytes at `data`.
bool writeNpy(const std::string &path, NpyDType dtype, const void *data,
              const std::vector<int64_t> &shape, std::string *error);

// Reads a .npy of format 1.0, 2.0 or 3.0 with descr '<f4', '<f8', '|i1', '<i2', '<i4' or '<i8' and
// fortran_order False.
// Errors start with the path.
bool readNpy(const std::string &path, NpyArray *out, std::string *error);

// The same for a whole .npy already in memory; on failure *why says what is wrong, without a path.
bool parseNpy(std::string_view file, NpyArray *out, std::string *why);

}  // namespace tern

#endif  // TERN_RUNTIME_NPY_H
