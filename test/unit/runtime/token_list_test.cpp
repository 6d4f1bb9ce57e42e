// Parsing token ids from --tokens text and --ppl files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include "test_support.h"
#include "token_list.h"

namespace tern {
namespace {

using ::testing::HasSubstr;

std::vector<int64_t> parse(const std::string &text) {
  std::vector<int64_t> ids;
  std::string error;
  EXPECT_TRUE(parseTokenIds(text, &ids, &error)) << text << ": " << error;
  return ids;
}

std::string parseError(const std::string &text) {
  std::vector<int64_t> ids;
  std::string error;
  EXPECT_FALSE(parseTokenIds(text, &ids, &error)) << text;
  return error;
}

TEST(TokenListTest, AcceptsCommasWhitespaceAndBoth) {
  EXPECT_EQ(parse("5,17,42"), (std::vector<int64_t>{5, 17, 42}));
  EXPECT_EQ(parse(" 5 , 17,\n42\t7\r\n"), (std::vector<int64_t>{5, 17, 42, 7}));
  EXPECT_EQ(parse("1\n2\n3\n"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(parse("-1,+2"), (std::vector<int64_t>{-1, 2}));
  EXPECT_TRUE(parse("  \n").empty());
}

TEST(TokenListTest, RefusesBadTextWithLocation) {
  EXPECT_THAT(parseError("5,abc,7"), HasSubstr("bad token id \"abc\" at line 1, column 3"));
  EXPECT_THAT(parseError("1 2\n3 4x"), HasSubstr("\"4x\" at line 2, column 3"));
  EXPECT_THAT(parseError("1.5"), HasSubstr("\"1.5\""));
  EXPECT_THAT(parseError("99999999999999999999"), HasSubstr("bad token id"));
  EXPECT_THAT(parseError("-"), HasSubstr("bad token id \"-\""));
}

TEST(TokenListTest, RefusesEmptyIds) {
  EXPECT_THAT(parseError("5,,7"), HasSubstr("empty token id before the comma at line 1, column 3"));
  EXPECT_THAT(parseError(",5"), HasSubstr("empty token id"));
  EXPECT_THAT(parseError("5, ,7"), HasSubstr("empty token id"));
  EXPECT_THAT(parseError("5,"), HasSubstr("after the last comma"));
}

TEST(TokenListTest, ChecksRangeNamingIdAndVocabulary) {
  std::string error;
  EXPECT_TRUE(checkTokenIds({0, 7}, 8, &error));
  EXPECT_FALSE(checkTokenIds({0, 8}, 8, &error));
  EXPECT_EQ(error, "token id 8 at position 1 is out of range for vocabulary size 8");
  EXPECT_FALSE(checkTokenIds({-3}, 8, &error));
  EXPECT_THAT(error, HasSubstr("token id -3 at position 0"));
  EXPECT_FALSE(checkTokenIds({int64_t(1) << 40}, 8, &error));
  EXPECT_THAT(error, HasSubstr("token id 1099511627776"));
}

}  // namespace
// Hardening (docs/hardening.md): a token file cannot make the parser store more than kMaxTokenIds ids.
TEST(TokenListTest, RefusesMoreIdsThanTheLimit) {
  std::string text;
  text.reserve(2 * (kMaxTokenIds + 1));
  for (size_t i = 0; i <= kMaxTokenIds; ++i) text += "7 ";
  EXPECT_EQ(parseError(text), "more than 16777216 token ids (at line 1, column 33554433)");
  text.resize(2 * kMaxTokenIds);
  EXPECT_EQ(parse(text).size(), kMaxTokenIds);
}

TEST(TokenListTest, ReadsAFileAndRefusesOversizedOnes) {
  test::ScratchDir dir;
  const std::string path = dir.file("ids.txt");
  test::writeText(path, "5, 17\n42\n");
  std::vector<int64_t> ids;
  std::string error;
  ASSERT_TRUE(readTokenIdFile(path, &ids, &error)) << error;
  EXPECT_EQ(ids, (std::vector<int64_t>{5, 17, 42}));

  test::writeText(path, "5,,7");
  EXPECT_FALSE(readTokenIdFile(path, &ids, &error));
  EXPECT_EQ(error, path + ": empty token id before the comma at line 1, column 3");

  // Sparse: the limit is checked from the size, before anything is read.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(kMaxTokenFileBytes) + 1), 0);
  EXPECT_FALSE(readTokenIdFile(path, &ids, &error));
  EXPECT_EQ(error, path + ": 268435457 bytes, more than the 256 MiB a token-id file may have");

  EXPECT_FALSE(readTokenIdFile(dir.file("absent.txt"), &ids, &error));
  EXPECT_THAT(error, HasSubstr("absent.txt: cannot open: No such file or directory"));
  EXPECT_FALSE(readTokenIdFile(dir.path(), &ids, &error));
  EXPECT_EQ(error, dir.path() + ": not a regular file");
}

}  // namespace tern
