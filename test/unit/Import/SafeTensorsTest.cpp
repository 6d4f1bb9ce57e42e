//===- SafeTensorsTest.cpp - tests of the safetensors reader --------------===//
//
// Exact dtype conversions and every header validation of SafeTensorsFile.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/SafeTensors.h"

#include "TestHelpers.h"

using namespace tern;
using namespace tern::test;

namespace {

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

TEST(ConversionTest, F16IsExactForEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint32_t sign = bits >> 15, exponent = (bits >> 10) & 0x1f,
             mantissa = bits & 0x3ff;
    float got = f16BitsToFloat(static_cast<uint16_t>(bits));
    if (exponent == 0x1f) {
      if (mantissa == 0)
        EXPECT_TRUE(std::isinf(got) && std::signbit(got) == bool(sign)) << bits;
      else
        EXPECT_TRUE(std::isnan(got)) << bits;
      continue;
    }
    // value = mantissa * 2^-24 (subnormal) or (1024 + mantissa) * 2^(e-25).
    double magnitude =
        exponent == 0 ? std::ldexp(double(mantissa), -24)
                      : std::ldexp(double(1024 + mantissa), int(exponent) - 25);
    double expected = sign ? -magnitude : magnitude;
    ASSERT_EQ(double(got), expected) << "f16 bits " << bits;
    ASSERT_EQ(std::signbit(got), bool(sign)) << "f16 bits " << bits;
  }
  EXPECT_EQ(f16BitsToFloat(0x0001), std::ldexp(1.0f, -24)); // min subnormal
  EXPECT_EQ(f16BitsToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16BitsToFloat(0x0400), std::ldexp(1.0f, -14)); // min normal
  EXPECT_EQ(f16BitsToFloat(0x3c00), 1.0f);
  EXPECT_EQ(f16BitsToFloat(0xc000), -2.0f);
  EXPECT_EQ(f16BitsToFloat(0x7bff), 65504.0f);
}

TEST(ConversionTest, BF16IsExactForEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint32_t sign = bits >> 15, exponent = (bits >> 7) & 0xff,
             mantissa = bits & 0x7f;
    float got = bf16BitsToFloat(static_cast<uint16_t>(bits));
    if (exponent == 0xff) {
      if (mantissa == 0)
        EXPECT_TRUE(std::isinf(got) && std::signbit(got) == bool(sign)) << bits;
      else
        EXPECT_TRUE(std::isnan(got)) << bits;
      continue;
    }
    double magnitude =
        exponent == 0 ? std::ldexp(double(mantissa), -133)
                      : std::ldexp(double(128 + mantissa), int(exponent) - 134);
    ASSERT_EQ(double(got), sign ? -magnitude : magnitude) << "bf16 " << bits;
  }
}

TEST(ConversionTest, TensorViewConvertsEachDTypeFromUnalignedBytes) {
  // One byte of offset: safetensors data need not be aligned.
  std::vector<uint8_t> storage(1 + 4 * 4);
  TensorView view;
  view.name = "t";
  view.shape = {2, 2};

  std::vector<float> f32 = {1.5f, -0.0f, 3.0e-40f /* subnormal */, 1e30f};
  std::memcpy(storage.data() + 1, f32.data(), 16);
  view.dtype = DType::F32;
  view.bytes = llvm::ArrayRef<uint8_t>(storage.data() + 1, 16);
  float out[4];
  view.toFloat32(out);
  EXPECT_EQ(std::memcmp(out, f32.data(), 16), 0);

  std::vector<uint16_t> f16 = {0x0001, 0x3c00, 0xfc00, 0x8000};
  std::memcpy(storage.data() + 1, f16.data(), 8);
  view.dtype = DType::F16;
  view.bytes = llvm::ArrayRef<uint8_t>(storage.data() + 1, 8);
  view.toFloat32(out);
  EXPECT_EQ(out[0], std::ldexp(1.0f, -24));
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_TRUE(std::isinf(out[2]) && out[2] < 0);
  EXPECT_TRUE(out[3] == 0 && std::signbit(out[3]));

  std::vector<uint16_t> bf16 = {bf16Bits(-3.25f), bf16Bits(1.0f / 1024), 0x0001,
                                0x7f80};
  std::memcpy(storage.data() + 1, bf16.data(), 8);
  view.dtype = DType::BF16;
  view.bytes = llvm::ArrayRef<uint8_t>(storage.data() + 1, 8);
  view.toFloat32(out);
  EXPECT_EQ(out[0], -3.25f);
  EXPECT_EQ(out[1], 1.0f / 1024);
  EXPECT_EQ(out[2], std::ldexp(1.0f, -133)); // bf16 subnormal
  EXPECT_TRUE(std::isinf(out[3]) && out[3] > 0);
}

//===----------------------------------------------------------------------===//
// SafeTensorsFile
//===----------------------------------------------------------------------===//

class SafeTensorsTest : public TempDirTest {
protected:
  /// The error of opening a file holding `bytes`; checks it names the file.
  std::string openError(const std::string &bytes) {
    std::string path = write("bad.safetensors", bytes);
    std::string message = errorOf(SafeTensorsFile::open(path));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    return message;
  }

  /// The error for a one-tensor header `entry` named "w" over 16 data bytes.
  std::string entryError(const json &entry) {
    json header = {{"w", entry}};
    std::string message =
        openError(assembleSafetensors(header.dump(), std::string(16, '\0')));
    EXPECT_NE(message.find("'w'"), std::string::npos) << message;
    return message;
  }

  static json entry(const char *dtype, std::vector<int64_t> shape,
                    std::vector<int64_t> offsets) {
    return {{"dtype", dtype}, {"shape", shape}, {"data_offsets", offsets}};
  }
};

TEST_F(SafeTensorsTest, OpensValidFileAndIgnoresMetadata) {
  std::string path =
      write("ok.safetensors",
            makeSafetensors(
                {{"b", "F32", {2}, f32Bytes({1.0f, -2.5f})},
                 {"a",
                  "BF16",
                  {1, 3},
                  u16Bytes({bf16Bits(0.5f), bf16Bits(-8.0f), bf16Bits(96.0f)})},
                 {"empty", "F16", {0, 4}, ""}},
                /*withMetadata=*/true));
  auto file = SafeTensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  ASSERT_EQ((*file)->tensors().size(), 3u);
  EXPECT_EQ((*file)->tensors()[0].name, "a"); // sorted by name
  EXPECT_EQ((*file)->find("__metadata__"), nullptr);

  const TensorView *a = (*file)->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::BF16);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(a->numElements(), 3);
  EXPECT_EQ(a->file, path);
  float values[3];
  a->toFloat32(values);
  EXPECT_EQ(values[0], 0.5f);
  EXPECT_EQ(values[1], -8.0f);
  EXPECT_EQ(values[2], 96.0f);

  const TensorView *b = (*file)->find("b");
  ASSERT_NE(b, nullptr);
  b->toFloat32(values);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], -2.5f);
  EXPECT_EQ((*file)->find("empty")->numElements(), 0);
}

TEST_F(SafeTensorsTest, RejectsShortFile) {
  EXPECT_NE(openError("abc").find("shorter than the 8-byte"),
            std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsHeaderPastEndOfFile) {
  std::string bytes = assembleSafetensors("{}", "");
  bytes[0] = 100; // claims a 100-byte header in a 10-byte file
  EXPECT_NE(openError(bytes).find("past the end of the file"),
            std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsHugeHeader) {
  std::string bytes = assembleSafetensors("{}", "");
  uint64_t length = 200u * 1000u * 1000u;
  std::memcpy(bytes.data(), &length, 8);
  EXPECT_NE(openError(bytes).find("100 MB"), std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsHeaderThatIsNotJson) {
  EXPECT_NE(
      openError(assembleSafetensors("{\"w\": ", "")).find("not valid JSON"),
      std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsHeaderThatIsNotAnObject) {
  EXPECT_NE(openError(assembleSafetensors("[1, 2]", "")).find("JSON object"),
            std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsEntryWithoutRequiredKeys) {
  for (const char *key : {"dtype", "shape", "data_offsets"}) {
    json bad = entry("F32", {4}, {0, 16});
    bad.erase(key);
    EXPECT_NE(entryError(bad).find(std::string("no '") + key + "'"),
              std::string::npos)
        << key;
  }
  EXPECT_NE(entryError(json(3)).find("must be an object"), std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsUnknownDType) {
  std::string message = entryError(entry("I8", {16}, {0, 16}));
  EXPECT_NE(message.find("unsupported dtype 'I8'"), std::string::npos)
      << message;
}

TEST_F(SafeTensorsTest, RejectsBadShapes) {
  EXPECT_NE(entryError(entry("F32", {-1, 4}, {0, 16})).find("negative"),
            std::string::npos);
  EXPECT_NE(
      entryError(entry("F32", {int64_t(1) << 40, int64_t(1) << 40}, {0, 16}))
          .find("overflows int64"),
      std::string::npos);
  json fractional = entry("F32", {4}, {0, 16});
  fractional["shape"] = {2.5};
  EXPECT_NE(entryError(fractional).find("integers"), std::string::npos);
}

TEST_F(SafeTensorsTest, RejectsBadDataOffsets) {
  for (json offsets :
       {json::array({0}), json::array({16, 0}), json::array({-4, 12}),
        json::array({"0", "16"}), json(16)}) {
    json bad = entry("F32", {4}, {0, 16});
    bad["data_offsets"] = offsets;
    EXPECT_NE(entryError(bad).find("'data_offsets' must be [begin, end]"),
              std::string::npos)
        << offsets.dump();
  }
}

TEST_F(SafeTensorsTest, RejectsByteSizeMismatch) {
  std::string message = entryError(entry("F32", {3}, {0, 16}));
  EXPECT_NE(message.find("span 16 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("needs 12"), std::string::npos) << message;
}

TEST_F(SafeTensorsTest, RejectsRangePastEndOfFile) {
  std::string message = entryError(entry("F32", {8}, {0, 32}));
  EXPECT_NE(message.find("past the end of the file"), std::string::npos)
      << message;
}

TEST_F(SafeTensorsTest, RejectsOverlappingTensors) {
  json header = {{"first", entry("F32", {3}, {0, 12})},
                 {"second", entry("F32", {2}, {8, 16})}};
  std::string message =
      openError(assembleSafetensors(header.dump(), std::string(16, '\0')));
  EXPECT_NE(message.find("'first'"), std::string::npos) << message;
  EXPECT_NE(message.find("'second'"), std::string::npos) << message;
  EXPECT_NE(message.find("overlapping"), std::string::npos) << message;
}

TEST_F(SafeTensorsTest, RejectsMissingFile) {
  std::string path = pathOf("absent.safetensors");
  std::string message = errorOf(SafeTensorsFile::open(path));
  EXPECT_NE(message.find(path), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Hardening (docs/hardening.md)
//===----------------------------------------------------------------------===//

// A few hundred kilobytes of '[' in a shape used to overflow the stack when
// the error message printed the shape (nlohmann::json::dump recurses).
TEST_F(SafeTensorsTest, RejectsDeeplyNestedHeader) {
  std::string header = "{\"w\": {\"dtype\": \"F32\", \"shape\": " +
                       std::string(200000, '[') + std::string(200000, ']') +
                       ", \"data_offsets\": [0, 0]}}";
  std::string message = openError(assembleSafetensors(header, ""));
  EXPECT_NE(message.find("JSON nested more than 64 levels deep"),
            std::string::npos)
      << message.substr(0, 200);
}

TEST_F(SafeTensorsTest, RejectsTooManyTensors) {
  json header = json::object();
  for (int i = 0; i <= 65536; ++i)
    header["t" + std::to_string(i)] = entry("F32", {0}, {0, 0});
  std::string message = openError(assembleSafetensors(header.dump(), ""));
  EXPECT_NE(message.find("header lists 65537 entries, more than tern reads "
                         "(65536)"),
            std::string::npos)
      << message;
}

TEST_F(SafeTensorsTest, RejectsTooManyDimensions) {
  std::string message =
      entryError(entry("F32", {1, 1, 1, 1, 1, 1, 1, 1, 4}, {0, 16}));
  EXPECT_NE(message.find("'shape' has 9 dimensions, more than tern reads (8)"),
            std::string::npos)
      << message;
}

TEST_F(SafeTensorsTest, CutsLongValuesInMessages) {
  json bad = entry("F32", {4}, {0, 16});
  bad["data_offsets"] = std::vector<int64_t>(100000, 7);
  std::string message = entryError(bad);
  EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
  EXPECT_NE(message.find("[7,7,7,"), std::string::npos) << message;
  EXPECT_NE(message.find("..."), std::string::npos) << message;
}

TEST(SafeTensorsBufferTest, ValidatesBytesInMemoryNamingThePathGiven) {
  std::string bytes = makeSafetensors({{"w", "F32", {2}, f32Bytes({1, 2})}});
  auto file = SafeTensorsFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes), "mem.safetensors");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->find("w")->file, "mem.safetensors");
  std::string message = errorOf(SafeTensorsFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("abc"), "mem.safetensors"));
  EXPECT_EQ(message.rfind("mem.safetensors: ", 0), 0u) << message;
}

} // namespace
