// .npy writing (float32) and reading (f32/i32/i64).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "npy.h"
#include "test_support.h"

namespace tern {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using test::ScratchDir;

// Builds a .npy 1.0 file by hand, as NumPy would, for the reader tests.
std::vector<unsigned char> npyBytes(const std::string &dict, const void *data, size_t size) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<unsigned char> bytes(10 + header.size() + size);
  std::memcpy(bytes.data(), "\x93NUMPY\x01\x00", 8);
  bytes[8] = static_cast<unsigned char>(header.size() & 0xff);
  bytes[9] = static_cast<unsigned char>(header.size() >> 8);
  std::memcpy(bytes.data() + 10, header.data(), header.size());
  if (size) std::memcpy(bytes.data() + 10 + header.size(), data, size);
  return bytes;
}

TEST(NpyTest, Float32RoundTrip) {
  ScratchDir dir;
  const std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  const std::string path = dir.file("a.npy");
  std::string error;
  ASSERT_TRUE(writeNpyFloat32(path, data.data(), {2, 3}, &error)) << error;

  const std::vector<unsigned char> bytes = test::readBytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::memcmp(bytes.data(), "\x93NUMPY\x01\x00", 8), 0);
  const size_t headerLength = bytes[8] | bytes[9] << 8;
  EXPECT_EQ((10 + headerLength) % 64, 0u);
  const std::string header(bytes.begin() + 10, bytes.begin() + 10 + headerLength);
  EXPECT_THAT(header, StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10 + headerLength + data.size() * 4);

  NpyArray array;
  ASSERT_TRUE(readNpy(path, &array, &error)) << error;
  EXPECT_EQ(array.dtype, NpyDType::Float32);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  ASSERT_EQ(array.elementCount(), 6);
  EXPECT_EQ(std::vector<float>(array.f32(), array.f32() + 6), data);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.npy"});  // no temporary left
}

TEST(NpyTest, OneDimensionalAndScalarShapes) {
  ScratchDir dir;
  const float data[3] = {1, 2, 3};
  std::string error;
  NpyArray array;
  ASSERT_TRUE(writeNpyFloat32(dir.file("v.npy"), data, {3}, &error)) << error;
  EXPECT_THAT(test::readText(dir.file("v.npy")), HasSubstr("'shape': (3,), }"));
  ASSERT_TRUE(readNpy(dir.file("v.npy"), &array, &error)) << error;
  EXPECT_EQ(array.shape, std::vector<int64_t>{3});
  ASSERT_TRUE(writeNpyFloat32(dir.file("s.npy"), data, {}, &error)) << error;
  ASSERT_TRUE(readNpy(dir.file("s.npy"), &array, &error)) << error;
  EXPECT_TRUE(array.shape.empty());
  EXPECT_EQ(array.elementCount(), 1);
}

TEST(NpyTest, ReadsInt32AndInt64) {
  ScratchDir dir;
  const int32_t i32[4] = {1, -2, 3, 2147483647};
  test::writeBytes(dir.file("i4.npy"), npyBytes("{'descr': '<i4', 'fortran_order': False, "
                                                "'shape': (2, 2), }",
                                                i32, sizeof i32));
  const int64_t i64[2] = {-5, int64_t(1) << 40};
  test::writeBytes(dir.file("i8.npy"),
                   npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i64,
                            sizeof i64));
  NpyArray array;
  std::string error;
  ASSERT_TRUE(readNpy(dir.file("i4.npy"), &array, &error)) << error;
  EXPECT_EQ(array.dtype, NpyDType::Int32);
  EXPECT_EQ(std::vector<int32_t>(array.i32(), array.i32() + 4), std::vector<int32_t>(i32, i32 + 4));
  ASSERT_TRUE(readNpy(dir.file("i8.npy"), &array, &error)) << error;
  EXPECT_EQ(array.dtype, NpyDType::Int64);
  EXPECT_EQ(array.i64()[1], int64_t(1) << 40);
}

TEST(NpyTest, EveryDtypeRoundTrips) {
  ScratchDir dir;
  const unsigned char bytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (NpyDType dtype : {NpyDType::Float32, NpyDType::Float64, NpyDType::Int8, NpyDType::Int16,
                         NpyDType::Int32, NpyDType::Int64}) {
    const std::vector<int64_t> shape{2, int64_t(8 / npyItemSize(dtype))};
    const std::string path = dir.file(std::string("a") + npyDescr(dtype)[1] + npyDescr(dtype)[2] + ".npy");
    std::string error;
    ASSERT_TRUE(writeNpy(path, dtype, bytes, shape, &error)) << error;
    NpyArray array;
    ASSERT_TRUE(readNpy(path, &array, &error)) << error;
    EXPECT_EQ(array.dtype, dtype);
    EXPECT_EQ(array.shape, shape);
    EXPECT_EQ(array.bytes, std::vector<unsigned char>(bytes, bytes + 16));
  }
}

TEST(NpyTest, RefusesWhatItCannotRead) {
  ScratchDir dir;
  const double f8[1] = {1.0};
  const float f4[2] = {1, 2};
  struct Case {
    std::string name;
    std::vector<unsigned char> bytes;
    std::string expected;
  } cases[] = {
      {"c8.npy", npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f8, 8),
       "unsupported dtype '<c8'"},
      {"big.npy", npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4, 8),
       "unsupported dtype '>f4'"},
      {"fortran.npy", npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4, 8),
       "Fortran-order"},
      {"short.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4, 8),
       "holds 8 data bytes, its header says 12"},
      {"magic.npy", {'n', 'o', 't', ' ', 'n', 'p', 'y', '!', 0, 0, 0}, "bad magic"},
  };
  for (const Case &c : cases) {
    const std::string path = dir.file(c.name);
    test::writeBytes(path, c.bytes);
    NpyArray array;
    std::string error;
    EXPECT_FALSE(readNpy(path, &array, &error)) << c.name;
    EXPECT_THAT(error, StartsWith(path + ": "));
    EXPECT_THAT(error, HasSubstr(c.expected));
  }
  std::string error;
  NpyArray array;
  EXPECT_FALSE(readNpy(dir.file("absent.npy"), &array, &error));
  EXPECT_THAT(error, HasSubstr("cannot open"));
}

TEST(NpyTest, WriteIntoMissingDirectoryFails) {
  ScratchDir dir;
  const float data[1] = {1};
  std::string error;
  const std::string path = dir.file("no/such/dir/x.npy");
  EXPECT_FALSE(writeNpyFloat32(path, data, {1}, &error));
  EXPECT_THAT(error, StartsWith(path + ": "));
}

}  // namespace
// Hardening (docs/hardening.md).
TEST(NpyTest, RefusesShapesWithMoreThan64Dimensions) {
  std::string shape = "(";
  for (int i = 0; i < 65; ++i) shape += "1, ";
  shape += ")";
  const float f4[1] = {1};
  const std::vector<unsigned char> bytes =
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", f4, 4);
  NpyArray array;
  std::string why;
  EXPECT_FALSE(parseNpy(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()),
                        &array, &why));
  EXPECT_EQ(why, "shape has more than 64 dimensions");
}

TEST(NpyTest, RefusesShapesWhoseByteSizeOverflows) {
  const float f4[1] = {1};
  const std::vector<unsigned char> bytes = npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", f4, 4);
  NpyArray array;
  std::string why;
  EXPECT_FALSE(parseNpy(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()),
                        &array, &why));
  EXPECT_EQ(why, "shape too large");
}

}  // namespace tern
