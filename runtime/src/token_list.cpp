#include "token_list.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace tern {
namespace {

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Parses [+-]?digits into *out; false on anything else or on int64 overflow.
bool parseInteger(std::string_view word, int64_t *out) {
  size_t i = 0;
  bool negative = false;
  if (i < word.size() && (word[i] == '+' || word[i] == '-')) negative = word[i++] == '-';
  if (i == word.size()) return false;
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                                  : uint64_t(std::numeric_limits<int64_t>::max());
  for (; i < word.size(); ++i) {
    if (!isDigit(word[i])) return false;
    unsigned digit = static_cast<unsigned>(word[i] - '0');
    if (magnitude > (limit - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

}  // namespace

bool parseTokenIds(std::string_view text, std::vector<int64_t> *ids, std::string *error) {
  ids->clear();
  size_t line = 1, lineStart = 0;
  // True right after a comma, and at the start (so a leading comma is an empty id too).
  bool expectId = true, sawComma = false;
  auto where = [&](size_t pos) {
    return "line " + std::to_string(line) + ", column " + std::to_string(pos - lineStart + 1);
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++i;
      ++line;
      lineStart = i;
      continue;
    }
    if (isSpace(c)) {
      ++i;
      continue;
    }
    if (c == ',') {
      if (expectId) {
        *error = "empty token id before the comma at " + where(i);
        return false;
      }
      expectId = sawComma = true;
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && text[i] != ',' && !isSpace(text[i])) ++i;
    std::string_view word = text.substr(start, i - start);
    int64_t value;
    if (!parseInteger(word, &value)) {
      *error = "bad token id \"" + std::string(word) + "\" at " + where(start) +
               " (expected a decimal integer)";
      return false;
    }
    if (ids->size() == kMaxTokenIds) {
      *error = "more than " + std::to_string(kMaxTokenIds) + " token ids (at " + where(start) + ")";
      return false;
    }
    ids->push_back(value);
    expectId = sawComma = false;
  }
  if (sawComma) {
    *error = "empty token id after the last comma";
    return false;
  }
  return true;
}

bool checkTokenIds(const std::vector<int64_t> &ids, int64_t vocabSize, std::string *error) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocabSize) {
      *error = "token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
               " is out of range for vocabulary size " + std::to_string(vocabSize);
      return false;
    }
  }
  return true;
}

bool readTokenIdFile(const std::string &path, std::vector<int64_t> *ids, std::string *error) {
  auto fail = [&](const std::string &message) {
    *error = path + ": " + message;
    return false;
  };
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return fail(std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxTokenFileBytes)
    return fail(std::to_string(st.st_size) + " bytes, more than the " +
                std::to_string(kMaxTokenFileBytes >> 20) + " MiB a token-id file may have");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + std::strerror(errno));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail("read error");
  std::string why;
  if (!parseTokenIds(text, ids, &why)) return fail(why);
  return true;
}

}  // namespace tern
