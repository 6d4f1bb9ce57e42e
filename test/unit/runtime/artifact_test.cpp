// writeArtifact and ArtifactFile: the container's layout, its atomic writer, and every refusal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "fake_model_reference.h"
#include "tern/artifact.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Header field offsets (docs/artifact.md).
constexpr size_t kVersionAt = 8, kManifestOffsetAt = 16, kManifestSizeAt = 24, kCodeOffsetAt = 32,
                 kCodeSizeAt = 40, kWeightsOffsetAt = 48, kWeightsSizeAt = 56;

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = dir_.file("good.tern");
    ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(good_, fakeModelPath(), fakeEmbedding()));
    bytes_ = readBytes(good_);
  }

  // Writes `bytes` to a new file and expects ArtifactFile::open to refuse it with `expected` in a
  // message that starts with the file's path.
  void expectRefused(const std::vector<unsigned char> &bytes, const std::string &expected) {
    const std::string path = dir_.file("bad.tern");
    writeBytes(path, bytes);
    std::string error;
    EXPECT_EQ(ArtifactFile::open(path, &error), nullptr);
    EXPECT_THAT(error, StartsWith(path + ": "));
    EXPECT_THAT(error, HasSubstr(expected));
  }

  ScratchDir dir_;
  std::string good_;
  std::vector<unsigned char> bytes_;
};

TEST_F(ArtifactTest, WriterLaysOutSectionsAndReaderReturnsThem) {
  std::string error;
  auto file = ArtifactFile::open(good_, &error);
  ASSERT_NE(file, nullptr) << error;
  const ArtifactHeader &h = file->header();
  EXPECT_EQ(h.formatVersion, 1u);
  EXPECT_EQ(h.headerSize, 64u);
  EXPECT_EQ(h.manifestOffset, 64u);
  EXPECT_EQ(h.weightsOffset % 4096, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(file->weights()) % 4096, 0u);
  EXPECT_EQ(bytes_.size(), h.weightsOffset + h.weightsSize);

  const std::vector<unsigned char> code = readBytes(fakeModelPath());
  ASSERT_EQ(file->codeSize(), code.size());
  EXPECT_EQ(std::memcmp(file->code(), code.data(), code.size()), 0);
  const std::vector<unsigned char> weights = fakeWeightsBytes(fakeEmbedding());
  ASSERT_EQ(file->weightsSize(), weights.size());
  EXPECT_EQ(std::memcmp(file->weights(), weights.data(), weights.size()), 0);

  const ArtifactManifest &m = file->manifest();
  EXPECT_EQ(m.hiddenSize, 4);
  EXPECT_EQ(m.numLayers, 2);
  EXPECT_EQ(m.vocabSize, 8);
  EXPECT_EQ(m.bosTokenId, 1);
  EXPECT_EQ(m.eosTokenId, 2);
  EXPECT_EQ(m.kind, "test_fake");
  EXPECT_EQ(m.prefillSymbol, "_mlir_ciface_tern_prefill");
  EXPECT_EQ(m.codeCrc32, artifactCrc32(code.data(), code.size()));
  EXPECT_EQ(m.weightsCrc32, artifactCrc32(weights.data(), weights.size()));
}

TEST_F(ArtifactTest, WriterKeepsMemberOrderAndReplacesChecksums) {
  nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(fakeManifest());
  manifest["checksums"] = {{"algorithm", "md5"}, {"code", "stale"}};
  const std::string path = dir_.file("replaced.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path, fakeModelPath(), fakeEmbedding(), manifest.dump()));
  std::string error;
  auto file = ArtifactFile::open(path, &error);
  ASSERT_NE(file, nullptr) << error;
  const std::string text(file->manifestText());
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(parsed["checksums"]["algorithm"], "crc32");
  EXPECT_EQ(parsed.begin().key(), "format_version");  // the compiler's order is kept
  EXPECT_LT(text.find("\"producer\""), text.find("\"model\""));
  EXPECT_TRUE(parsed.contains("tokenizer"));  // members the runtime ignores survive
}

TEST_F(ArtifactTest, WriterRefusesDirectoryThatDoesNotExistAndLeavesNoFile) {
  const std::string path = dir_.file("missing-dir/model.tern");
  const std::vector<unsigned char> code = readBytes(fakeModelPath());
  std::string error;
  EXPECT_FALSE(writeArtifact(path, fakeManifest(), code.data(), code.size(), nullptr, 0, &error));
  EXPECT_THAT(error, StartsWith(path + ": "));
  EXPECT_EQ(::access(path.c_str(), F_OK), -1);
  EXPECT_EQ(::access(dir_.file("missing-dir").c_str(), F_OK), -1);
}

TEST_F(ArtifactTest, WriterRefusesBadManifestAndLeavesNoTemporary) {
  const std::vector<unsigned char> code = readBytes(fakeModelPath());
  const std::vector<std::string> before = dir_.entries();
  const std::string path = dir_.file("never.tern");
  std::string error;
  EXPECT_FALSE(writeArtifact(path, "[1, 2]", code.data(), code.size(), nullptr, 0, &error));
  EXPECT_THAT(error, HasSubstr("must be a JSON object"));
  EXPECT_FALSE(writeArtifact(path, "{not json", code.data(), code.size(), nullptr, 0, &error));
  EXPECT_THAT(error, StartsWith(path + ": "));
  nlohmann::json noVocab = nlohmann::json::parse(fakeManifest());
  noVocab["model"].erase("vocab_size");
  EXPECT_FALSE(writeArtifact(path, noVocab.dump(), code.data(), code.size(), nullptr, 0, &error));
  EXPECT_THAT(error, HasSubstr("\"model.vocab_size\" is missing"));
  EXPECT_EQ(dir_.entries(), before);
}

TEST_F(ArtifactTest, WriterReplacesExistingFileWithoutLeftovers) {
  writeText(dir_.file("over.tern"), "old contents");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(dir_.file("over.tern"), fakeModelPath(), fakeEmbedding()));
  EXPECT_EQ(readBytes(dir_.file("over.tern")), bytes_);
  EXPECT_EQ(dir_.entries(), (std::vector<std::string>{"good.tern", "over.tern"}));
}

TEST_F(ArtifactTest, RefusesMissingFile) {
  const std::string path = dir_.file("absent.tern");
  std::string error;
  EXPECT_EQ(ArtifactFile::open(path, &error), nullptr);
  EXPECT_THAT(error, StartsWith(path + ": cannot open"));
}

TEST_F(ArtifactTest, RefusesFileShorterThanHeader) {
  expectRefused(std::vector<unsigned char>(bytes_.begin(), bytes_.begin() + 40), "too small");
  expectRefused({}, "too small");
}

TEST_F(ArtifactTest, RefusesTruncatedWeights) {
  expectRefused(std::vector<unsigned char>(bytes_.begin(), bytes_.end() - 1),
                "weights section (offset");
  expectRefused(std::vector<unsigned char>(bytes_.begin(), bytes_.end() - 1), "lies outside the file");
}

TEST_F(ArtifactTest, RefusesBadMagic) {
  std::vector<unsigned char> bad = bytes_;
  bad[0] = 'X';
  expectRefused(bad, "bad magic");
}

TEST_F(ArtifactTest, RefusesOtherFormatVersionSayingWhichVersions) {
  std::vector<unsigned char> bad = bytes_;
  putU32(bad, kVersionAt, 2);
  expectRefused(bad, "format version 2 is not supported (this runtime reads version 1)");
}

TEST_F(ArtifactTest, RefusesOtherHeaderSize) {
  std::vector<unsigned char> bad = bytes_;
  putU32(bad, 12, 128);
  expectRefused(bad, "header_size is 128");
}

TEST_F(ArtifactTest, RefusesOverlappingSections) {
  std::vector<unsigned char> bad = bytes_;
  putU64(bad, kCodeOffsetAt, getU64(bytes_, kManifestOffsetAt) + 8);
  expectRefused(bad, "manifest section (offset 64");
  expectRefused(bad, "overlaps the code section");
}

TEST_F(ArtifactTest, RefusesSectionOverlappingHeader) {
  std::vector<unsigned char> bad = bytes_;
  putU64(bad, kManifestOffsetAt, 32);
  expectRefused(bad, "header section (offset 0, size 64) overlaps the manifest section");
}

TEST_F(ArtifactTest, RefusesSectionSizeThatWouldOverflow) {
  std::vector<unsigned char> bad = bytes_;
  putU64(bad, kCodeSizeAt, ~uint64_t(0));
  expectRefused(bad, "code section");
  expectRefused(bad, "lies outside the file");
}

TEST_F(ArtifactTest, RefusesUnalignedWeights) {
  std::vector<unsigned char> bad = bytes_;
  putU64(bad, kWeightsOffsetAt, getU64(bytes_, kWeightsOffsetAt) + 64);
  putU64(bad, kWeightsSizeAt, getU64(bytes_, kWeightsSizeAt) - 64);
  expectRefused(bad, "is not a multiple of 4096");
}

TEST_F(ArtifactTest, RefusesCorruptedCodeByte) {
  std::vector<unsigned char> bad = bytes_;
  bad[getU64(bytes_, kCodeOffsetAt) + getU64(bytes_, kCodeSizeAt) / 2] ^= 0x40;
  expectRefused(bad, "code section checksum mismatch");
}

TEST_F(ArtifactTest, RefusesCorruptedWeightsByte) {
  std::vector<unsigned char> bad = bytes_;
  bad[getU64(bytes_, kWeightsOffsetAt) + 5] ^= 0x01;
  expectRefused(bad, "weights section checksum mismatch");
}

TEST_F(ArtifactTest, SkipsChecksumsWhenAsked) {
  std::vector<unsigned char> bad = bytes_;
  bad[getU64(bytes_, kWeightsOffsetAt) + 5] ^= 0x01;
  const std::string path = dir_.file("unchecked.tern");
  writeBytes(path, bad);
  std::string error;
  EXPECT_NE(ArtifactFile::open(path, &error, /*verifyChecksums=*/false), nullptr) << error;
}

TEST_F(ArtifactTest, RefusesCorruptedManifestJson) {
  std::vector<unsigned char> bad = bytes_;
  bad[getU64(bytes_, kManifestOffsetAt)] = 'x';  // the opening brace
  expectRefused(bad, "manifest: the manifest is not valid JSON");
}

TEST_F(ArtifactTest, RefusesManifestMissingRequiredMember) {
  std::vector<unsigned char> bad = bytes_;
  std::string manifest(bad.begin() + getU64(bytes_, kManifestOffsetAt),
                       bad.begin() + getU64(bytes_, kManifestOffsetAt) + getU64(bytes_, kManifestSizeAt));
  size_t at = manifest.find("\"decode\"");
  ASSERT_NE(at, std::string::npos);
  bad[getU64(bytes_, kManifestOffsetAt) + at + 1] = 'D';  // "Decode": same length, checksums unaffected
  expectRefused(bad, "member \"entry_points.decode\" is missing");
}

TEST_F(ArtifactTest, RefusesStateShapeDisagreeingWithModel) {
  nlohmann::json manifest = nlohmann::json::parse(fakeManifest());
  manifest["state"]["shape"] = {4, 2};
  const std::vector<unsigned char> code = readBytes(fakeModelPath());
  std::string error;
  EXPECT_FALSE(writeArtifact(dir_.file("x.tern"), manifest.dump(), code.data(), code.size(), nullptr,
                             0, &error));
  EXPECT_THAT(error, HasSubstr("\"state.shape\" is [4,2], expected [2,4]"));
}

TEST(ArtifactManifestTest, ParsesOptionalTokenIdsAndChecksAbi) {
  nlohmann::json manifest = nlohmann::json::parse(fakeManifest());
  manifest["model"]["bos_token_id"] = nullptr;
  manifest["model"].erase("eos_token_id");
  manifest["checksums"] = {{"algorithm", "crc32"}, {"code", "0xDEADBEEF"}, {"weights", "0x1"}};
  ArtifactManifest parsed;
  std::string why;
  ASSERT_TRUE(parseArtifactManifest(manifest.dump(), &parsed, &why)) << why;
  EXPECT_EQ(parsed.bosTokenId, -1);
  EXPECT_EQ(parsed.eosTokenId, -1);
  EXPECT_EQ(parsed.codeCrc32, 0xdeadbeefu);
  EXPECT_EQ(parsed.weightsCrc32, 1u);

  manifest["abi"] = "memref-v2";
  EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &parsed, &why));
  EXPECT_THAT(why, HasSubstr("\"memref-v1\""));
  manifest["abi"] = "memref-v1";
  manifest["checksums"]["code"] = "123";
  EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &parsed, &why));
  EXPECT_THAT(why, HasSubstr("checksums.code"));
}

TEST(ArtifactHeaderTest, EncodesLittleEndian) {
  ArtifactHeader h{};
  std::memcpy(h.magic, kArtifactMagic, 8);
  h.formatVersion = 1;
  h.headerSize = 64;
  h.weightsOffset = 0x0102030405060708ull;
  unsigned char bytes[64];
  encodeArtifactHeader(h, bytes);
  EXPECT_EQ(std::memcmp(bytes, "TERNART\0", 8), 0);
  EXPECT_EQ(bytes[8], 1);
  EXPECT_EQ(bytes[12], 64);
  EXPECT_EQ(bytes[48], 0x08);
  EXPECT_EQ(bytes[55], 0x01);
  ArtifactHeader back = decodeArtifactHeader(bytes);
  EXPECT_EQ(back.weightsOffset, h.weightsOffset);
}

// Hardening (docs/hardening.md): limits checked before the runtime allocates anything.

TEST(ArtifactManifestTest, RefusesDeeplyNestedManifest) {
  // nlohmann::json compares and prints recursively; 200000 levels would overflow the stack.
  std::string manifest = fakeManifest();
  manifest.insert(manifest.rfind('}'), ", \"deep\": " + std::string(200000, '[') +
                                           std::string(200000, ']'));
  ArtifactManifest parsed;
  std::string why;
  EXPECT_FALSE(parseArtifactManifest(manifest, &parsed, &why));
  EXPECT_THAT(why, HasSubstr("the manifest's JSON is nested more than 64 levels deep (at byte"));
}

TEST(ArtifactManifestTest, RefusesModelSizesAboveTheCompilersLimits) {
  for (auto [member, limit] : {std::pair<const char *, int64_t>{"hidden_size", 65536},
                               {"num_hidden_layers", 1024},
                               {"vocab_size", 4194304}}) {
    SCOPED_TRACE(member);
    nlohmann::json manifest = nlohmann::json::parse(fakeManifest());
    manifest["model"][member] = limit + 1;
    ArtifactManifest parsed;
    std::string why;
    EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &parsed, &why));
    EXPECT_EQ(why, "member \"model." + std::string(member) + "\" must be an integer in [1, " +
                       std::to_string(limit) + "]");
  }
}

TEST_F(ArtifactTest, RefusesManifestSectionAboveTheLimit) {
  // A well-formed layout whose manifest section claims 64 MiB + 1 bytes: the file is extended
  // sparsely (nothing is written there) and the reader refuses it before parsing.
  std::vector<unsigned char> bad = bytes_;
  const uint64_t manifestSize = (uint64_t(64) << 20) + 1;
  const uint64_t codeOffset = 64 + manifestSize + 63;
  const uint64_t codeSize = getU64(bytes_, kCodeSizeAt);
  putU64(bad, kManifestSizeAt, manifestSize);
  putU64(bad, kCodeOffsetAt, codeOffset);
  putU64(bad, kWeightsOffsetAt, (codeOffset + codeSize + 4095) / 4096 * 4096);
  putU64(bad, kWeightsSizeAt, 0);
  const std::string path = dir_.file("bad.tern");
  writeBytes(path, std::vector<unsigned char>(bad.begin(), bad.begin() + 64));
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(getU64(bad, kWeightsOffsetAt))), 0);
  std::string error;
  EXPECT_EQ(ArtifactFile::open(path, &error), nullptr);
  EXPECT_THAT(error, StartsWith(path + ": "));
  EXPECT_THAT(error, HasSubstr("the manifest section is 67108865 bytes, more than the 64 MiB limit"));
}

}  // namespace
}  // namespace tern::test
