// The tokenizer an artifact carries (inside its weights section), and executables that carry an
// artifact (ternc --emit=exe): writer, reader, refusals, and the C API on top.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_model_reference.h"
#include "tern/artifact.h"
#include "tern/runtime.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kTokenizerBytes = "pretend these are the bytes of a SentencePiece tokenizer.model";

class ArtifactTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    code_ = readBytes(fakeModelPath());
    weights_ = fakeWeightsBytes(fakeEmbedding());
    path_ = dir_.file("with-tokenizer.tern");
  }

  bool write(const std::string &path, const std::string &manifest, const std::string &tokenizer,
             std::string *error) {
    ArtifactTokenizer t;
    t.data = tokenizer.data();
    t.size = tokenizer.size();
    return writeArtifact(path, manifest, code_.data(), code_.size(), weights_.data(), weights_.size(),
                         t, error);
  }

  ScratchDir dir_;
  std::vector<unsigned char> code_, weights_;
  std::string path_;
};

TEST_F(ArtifactTokenizerTest, StoredAfterTheWeightsAndReadBack) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), kTokenizerBytes, &error)) << error;
  auto file = ArtifactFile::open(path_, &error);
  ASSERT_NE(file, nullptr) << error;
  const ArtifactManifest &m = file->manifest();
  EXPECT_EQ(m.tokenizerFormat, "sentencepiece");
  EXPECT_EQ(m.tokenizerOffset % kArtifactTokenizerAlignment, 0u);
  EXPECT_GE(m.tokenizerOffset, weights_.size());
  EXPECT_EQ(file->tokenizer(), kTokenizerBytes);
  // The weights come first, unchanged; the section's checksum covers the tokenizer too.
  EXPECT_EQ(std::memcmp(file->weights(), weights_.data(), weights_.size()), 0);
  // The generated code sees the weights alone (rounded up to the tokenizer's 64-byte alignment).
  EXPECT_EQ(file->weightsSize(), m.tokenizerOffset);
  EXPECT_EQ(file->header().weightsSize, m.tokenizerOffset + kTokenizerBytes.size());
  EXPECT_EQ(m.weightsCrc32, artifactCrc32(file->weights(), file->header().weightsSize));
  nlohmann::json manifest = nlohmann::json::parse(file->manifestText());
  EXPECT_EQ(manifest["tokenizer"],
            (nlohmann::json{{"format", "sentencepiece"}, {"offset", m.tokenizerOffset},
                            {"bytes", kTokenizerBytes.size()}}));
}

TEST_F(ArtifactTokenizerTest, WithoutOneTheArtifactIsAsBefore) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), "", &error)) << error;
  auto file = ArtifactFile::open(path_, &error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->manifest().tokenizerFormat, "");
  EXPECT_TRUE(file->tokenizer().empty());
  EXPECT_EQ(file->weightsSize(), weights_.size());
}

TEST_F(ArtifactTokenizerTest, CorruptedTokenizerByteFailsTheWeightsChecksum) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), kTokenizerBytes, &error)) << error;
  std::vector<unsigned char> bytes = readBytes(path_);
  bytes[bytes.size() - 3] ^= 0x40;  // the tokenizer is the file's last bytes
  writeBytes(path_, bytes);
  EXPECT_EQ(ArtifactFile::open(path_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("weights section checksum mismatch"));
}

TEST_F(ArtifactTokenizerTest, WriterRefusesATokenizerMemberOutsideTheWeights) {
  nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(fakeManifest());
  manifest["tokenizer"] = {{"format", "sentencepiece"}, {"offset", 0}, {"bytes", 1 << 20}};
  std::string error;
  EXPECT_FALSE(write(path_, manifest.dump(), "", &error));
  EXPECT_THAT(error, StartsWith(path_ + ": "));
  EXPECT_THAT(error, HasSubstr("the tokenizer (offset 0, 1048576 bytes) lies outside the weights section"));
  EXPECT_TRUE(dir_.entries().empty());
}

TEST_F(ArtifactTokenizerTest, ReaderRefusesATokenizerMemberOutsideTheWeights) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), kTokenizerBytes, &error)) << error;
  // Grow "bytes" in place (same number of digits; the manifest is outside the checksums).
  std::vector<unsigned char> bytes = readBytes(path_);
  std::string text(bytes.begin(), bytes.end());
  const std::string from = "\"bytes\": " + std::to_string(kTokenizerBytes.size());
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos);
  std::memcpy(bytes.data() + at, "\"bytes\": 99", from.size());
  writeBytes(path_, bytes);
  EXPECT_EQ(ArtifactFile::open(path_, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("manifest: the tokenizer (offset "));
  EXPECT_THAT(error, HasSubstr("99 bytes) lies outside the weights section"));
}

TEST(ArtifactManifestTokenizerTest, MemberMustBeNullOrCompleteObject) {
  nlohmann::ordered_json manifest = nlohmann::ordered_json::parse(fakeManifest());
  manifest["checksums"] = {{"algorithm", "crc32"}, {"code", "0x0"}, {"weights", "0x0"}};
  ArtifactManifest m;
  std::string why;
  manifest["tokenizer"] = nullptr;
  EXPECT_TRUE(parseArtifactManifest(manifest.dump(), &m, &why)) << why;
  EXPECT_EQ(m.tokenizerFormat, "");
  manifest["tokenizer"] = "tokenizer.model";
  EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &m, &why));
  EXPECT_THAT(why, HasSubstr("member \"tokenizer\" must be null or an object"));
  manifest["tokenizer"] = {{"format", "sentencepiece"}, {"offset", 64}};
  EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &m, &why));
  EXPECT_THAT(why, HasSubstr("member \"tokenizer.bytes\" is missing"));
  manifest["tokenizer"] = {{"format", "sentencepiece"}, {"offset", -1}, {"bytes", 5}};
  EXPECT_FALSE(parseArtifactManifest(manifest.dump(), &m, &why));
  EXPECT_THAT(why, HasSubstr("member \"tokenizer.offset\" must be an integer"));
}

TEST_F(ArtifactTokenizerTest, CApiHandsOutTheTokenizer) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), kTokenizerBytes, &error)) << error;
  tern_model *model = nullptr;
  char errbuf[512];
  ASSERT_EQ(tern_model_open(path_.c_str(), &model, errbuf, sizeof errbuf), TERN_OK) << errbuf;
  const char *format = nullptr;
  const void *data = nullptr;
  size_t size = 0;
  ASSERT_EQ(tern_model_tokenizer(model, &format, &data, &size), TERN_OK);
  ASSERT_NE(format, nullptr);
  EXPECT_STREQ(format, "sentencepiece");
  EXPECT_EQ(std::string(static_cast<const char *>(data), size), kTokenizerBytes);
  EXPECT_EQ(tern_model_tokenizer(model, nullptr, &data, &size), TERN_ERROR_INVALID_ARGUMENT);
  tern_model_close(model);

  const std::string plain = dir_.file("plain.tern");
  writeFakeArtifact(plain, fakeModelPath(), fakeEmbedding());
  ASSERT_EQ(tern_model_open(plain.c_str(), &model, errbuf, sizeof errbuf), TERN_OK) << errbuf;
  ASSERT_EQ(tern_model_tokenizer(model, &format, &data, &size), TERN_OK);
  EXPECT_EQ(format, nullptr);
  EXPECT_EQ(data, nullptr);
  EXPECT_EQ(size, 0u);
  tern_model_close(model);
}

// Executables with an artifact inside. Any ELF file stands in for tern-run here: the fake model's
// shared object (the end-to-end test runs a real one).
class BundleTest : public ArtifactTokenizerTest {};

TEST_F(BundleTest, AppendedArtifactIsFoundAndMappedInPlace) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), kTokenizerBytes, &error)) << error;
  const std::string exe = dir_.file("model-exe");
  ASSERT_TRUE(writeBundledExecutable(fakeModelPath(), path_, exe, &error)) << error;
  EXPECT_TRUE(hasBundledArtifact(exe));
  EXPECT_FALSE(hasBundledArtifact(path_));
  EXPECT_FALSE(hasBundledArtifact(fakeModelPath()));
  struct stat st;
  ASSERT_EQ(::stat(exe.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);

  // The runner's bytes come first, unchanged; the artifact follows at a page boundary.
  const std::vector<unsigned char> runner = readBytes(fakeModelPath()), artifact = readBytes(path_),
                                   bytes = readBytes(exe);
  ASSERT_EQ(bytes.size(), (runner.size() + 4095) / 4096 * 4096 + artifact.size() + kBundleTrailerSize);
  EXPECT_TRUE(std::equal(runner.begin(), runner.end(), bytes.begin()));
  EXPECT_EQ(std::memcmp(bytes.data() + bytes.size() - 8, "TERNEXE\0", 8), 0);

  auto file = ArtifactFile::open(exe, &error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(file->weights()) % 4096, 0u);
  EXPECT_EQ(file->tokenizer(), kTokenizerBytes);

  // And the model runs from it exactly as from the .tern file.
  tern_model *model = nullptr;
  tern_session *session = nullptr;
  char errbuf[512];
  ASSERT_EQ(tern_model_open(exe.c_str(), &model, errbuf, sizeof errbuf), TERN_OK) << errbuf;
  ASSERT_EQ(tern_session_create(model, &session), TERN_OK);
  const int32_t ids[] = {5, 1, 7};
  std::vector<float> logits(3 * kFakeVocab);
  ASSERT_EQ(tern_session_forward(session, ids, 3, TERN_LOGITS_ALL, logits.data(), errbuf, sizeof errbuf),
            TERN_OK)
      << errbuf;
  const std::vector<float> expected = FakeModelReference{fakeEmbedding()}.run({5, 1, 7});
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(logits[i], expected[i]);
  tern_session_destroy(session);
  tern_model_close(model);
}

TEST_F(BundleTest, RefusesRunnersAndArtifactsThatDoNotFit) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), "", &error)) << error;
  const std::string exe = dir_.file("model-exe");
  // Not ELF.
  EXPECT_FALSE(writeBundledExecutable(path_, path_, exe, &error));
  EXPECT_THAT(error, HasSubstr(path_ + ": not an ELF executable"));
  // A runner that already carries an artifact.
  ASSERT_TRUE(writeBundledExecutable(fakeModelPath(), path_, exe, &error)) << error;
  EXPECT_FALSE(writeBundledExecutable(exe, path_, dir_.file("again"), &error));
  EXPECT_THAT(error, HasSubstr("already carries an artifact"));
  // An artifact the reader refuses.
  const std::string broken = dir_.file("broken.tern");
  writeText(broken, "TERNART");
  EXPECT_FALSE(writeBundledExecutable(fakeModelPath(), broken, dir_.file("none"), &error));
  EXPECT_THAT(error, StartsWith(broken + ": "));
  EXPECT_FALSE(hasBundledArtifact(dir_.file("none")));
}

TEST_F(BundleTest, ATrailerPointingOutsideTheFileIsNoBundle) {
  std::string error;
  ASSERT_TRUE(write(path_, fakeManifest(), "", &error)) << error;
  const std::string exe = dir_.file("model-exe");
  ASSERT_TRUE(writeBundledExecutable(fakeModelPath(), path_, exe, &error)) << error;
  std::vector<unsigned char> bytes = readBytes(exe);
  putU64(bytes, bytes.size() - 16, bytes.size());  // the artifact's size, now too large
  writeBytes(exe, bytes);
  EXPECT_FALSE(hasBundledArtifact(exe));
  EXPECT_EQ(ArtifactFile::open(exe, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("bad magic"));
}

}  // namespace
}  // namespace tern::test
