// Parsing token ids from --tokens text and --ppl files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
}  // namespace tern
