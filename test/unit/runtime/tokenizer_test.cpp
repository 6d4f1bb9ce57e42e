// Tokenizer (libsentencepiece) and TextStream, on the bundled model's tokenizer.model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"
#include "tokenizer.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Tokenizer> bundledTokenizer() {
  const std::vector<unsigned char> bytes = readBytes(TERN_DEFAULT_TOKENIZER_PATH);
  std::string why;
  auto tokenizer = Tokenizer::fromSentencePiece(
      std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), &why);
  EXPECT_NE(tokenizer, nullptr) << why;
  return tokenizer;
}

TEST(TokenizerTest, LoadsTheBundledModelsVocabulary) {
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->vocabSize(), 3000);
  EXPECT_EQ(tokenizer->bosId(), 1);
  EXPECT_EQ(tokenizer->eosId(), 2);
}

TEST(TokenizerTest, EncodesAsSpmEncodeDoes) {
  // Expected ids from Debian's `spm_encode --model=tokenizer.model --output_format=id`.
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  std::vector<int32_t> ids;
  std::string why;
  ASSERT_TRUE(tokenizer->encode("Hello world, a fortune.", &ids, &why)) << why;
  EXPECT_EQ(ids, (std::vector<int32_t>{424, 335, 310, 508, 261, 263, 1431, 260}));
  // Characters outside the vocabulary fall back to their UTF-8 bytes (<0xE2> is id 3 + 0xE2).
  ASSERT_TRUE(tokenizer->encode("The cat\xE2\x82\xAC sat", &ids, &why)) << why;
  EXPECT_EQ(ids, (std::vector<int32_t>{290, 1059, 229, 133, 175, 604, 268}));
  EXPECT_EQ(tokenizer->decode(ids), "The cat\xE2\x82\xAC sat");
}

TEST(TokenizerTest, DecodeDropsBosAndEos) {
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->decode({1, 1224, 271, 2}), "Life is");
}

TEST(TokenizerTest, RefusesBytesThatAreNotAModel) {
  std::string why;
  EXPECT_EQ(Tokenizer::fromSentencePiece("certainly not a protobuf", &why), nullptr);
  EXPECT_THAT(why, HasSubstr("not a SentencePiece model"));
  EXPECT_EQ(Tokenizer::fromSentencePiece("", &why), nullptr);
  EXPECT_THAT(why, HasSubstr("empty"));
}

TEST(TextStreamTest, PiecesAfterAContextKeepTheirSpace) {
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  // Context: BOS "▁Life"; then "▁is": decoded alone it would lose its leading space.
  TextStream stream(*tokenizer, {1, 1224});
  EXPECT_EQ(stream.push(271), " is");
  EXPECT_EQ(stream.push(263), " a");
  EXPECT_EQ(stream.finish(), "");
}

TEST(TextStreamTest, HoldsBackAnUnfinishedUtf8Character) {
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  TextStream stream(*tokenizer, {1, 290});  // BOS "▁The"
  EXPECT_EQ(stream.push(1059), " cat");
  EXPECT_EQ(stream.push(229), "");  // <0xE2>: the first of the three bytes of U+20AC
  EXPECT_EQ(stream.push(133), "");  // <0x82>
  EXPECT_EQ(stream.push(175), "\xE2\x82\xAC");
  EXPECT_EQ(stream.push(604), " sa");
  EXPECT_EQ(stream.finish(), "");
}

TEST(TextStreamTest, FinishGivesOutWhatNeverCompleted) {
  auto tokenizer = bundledTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  TextStream stream(*tokenizer, {1});
  EXPECT_EQ(stream.push(1224), "Life");
  EXPECT_EQ(stream.push(229), "");                // a lone lead byte
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");     // decodes to U+FFFD in the end
}

}  // namespace
}  // namespace tern::test
