//===- TestHelpers.h - shared helpers of the Import unit tests -*- C++ -*-===//
//
// A temporary directory per test, a tiny safetensors writer, exact float ->
// bf16/f16 bit helpers and error capture. Each test writes the files with
// exactly the defect a validation rule must catch.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TEST_UNIT_IMPORT_TESTHELPERS_H
#define TERN_TEST_UNIT_IMPORT_TESTHELPERS_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace tern::test {

using nlohmann::json;

/// The error text of a failed Expected; "" (and a test failure) on success.
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value) {
    ADD_FAILURE() << "expected an error, got success";
    return "";
  }
  return llvm::toString(value.takeError());
}

/// One tensor to write: `data` holds the raw little-endian bytes.
struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string data;
};

/// Header length + header + data, the header padded with spaces to a
/// multiple of 8 like the reference writer does.
inline std::string assembleSafetensors(std::string header,
                                       const std::string &data) {
  while (header.size() % 8)
    header += ' ';
  uint64_t length = header.size();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + data;
}

/// A well-formed safetensors file holding `tensors` back to back.
inline std::string makeSafetensors(const std::vector<RawTensor> &tensors,
                                   bool withMetadata = false) {
  json header = json::object();
  if (withMetadata)
    header["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const RawTensor &tensor : tensors) {
    header[tensor.name] = {
        {"dtype", tensor.dtype},
        {"shape", tensor.shape},
        {"data_offsets", {data.size(), data.size() + tensor.data.size()}}};
    data += tensor.data;
  }
  return assembleSafetensors(header.dump(), data);
}

inline std::string f32Bytes(const std::vector<float> &values) {
  std::string bytes(values.size() * 4, '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size()); // x86: little-endian
  return bytes;
}

inline std::string u16Bytes(const std::vector<uint16_t> &values) {
  std::string bytes(values.size() * 2, '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

/// bf16 bits of a float that bf16 represents exactly (truncation is exact).
inline uint16_t bf16Bits(float value) {
  uint32_t wide;
  std::memcpy(&wide, &value, 4);
  return static_cast<uint16_t>(wide >> 16);
}

/// f16 bits of a normal float that f16 represents exactly.
inline uint16_t f16Bits(float value) {
  if (value == 0)
    return std::signbit(value) ? 0x8000 : 0;
  uint32_t wide;
  std::memcpy(&wide, &value, 4);
  uint32_t sign = (wide >> 16) & 0x8000;
  int32_t exponent = static_cast<int32_t>((wide >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = (wide >> 13) & 0x3ff;
  return static_cast<uint16_t>(sign | (exponent << 10) | mantissa);
}

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> path;
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("tern-import-test", path));
    dir = std::string(path);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string pathOf(llvm::StringRef name) const {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  }

  std::string write(llvm::StringRef name, const std::string &bytes) const {
    std::string path = pathOf(name);
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  std::string dir;
};

/// The 370M config as released (intermediate_size null).
/// The 370M config as released (intermediate_size null).
inline json releasedConfig() {
  return {{"model_type", "hgrn_bit"},
          {"hidden_size", 1024},
          {"num_hidden_layers", 24},
          {"vocab_size", 32000},
          {"num_heads", 1},
          {"expand_ratio", 1},
          {"hidden_ratio", 4},
          {"intermediate_size", nullptr},
          {"rms_norm_eps", 1e-6},
          {"use_lower_bound", true},
          {"use_short_conv", false},
          {"bos_token_id", 1},
          {"eos_token_id", 2},
          {"tie_word_embeddings", false},
          {"torch_dtype", "bfloat16"},
          {"architectures", {"HGRNBitForCausalLM"}}};
}

} // namespace tern::test

#endif // TERN_TEST_UNIT_IMPORT_TESTHELPERS_H
