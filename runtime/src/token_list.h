// Token ids as text: "5,17,42" on the command line, or a file of ids separated by commas and/or
// whitespace.
#ifndef TERN_RUNTIME_TOKEN_LIST_H
#define TERN_RUNTIME_TOKEN_LIST_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

// Each id is an optionally signed decimal integer; ids are separated by whitespace, by one comma, or
// by both. An empty id (",,", or a comma at the start or end) and anything else is an error naming
// the text and its line and column. Range is not checked here (see checkTokenIds). More than
// kMaxTokenIds ids is an error too, found before they are stored.
inline constexpr size_t kMaxTokenIds = size_t(1) << 24;
bool parseTokenIds(std::string_view text, std::vector<int64_t> *ids, std::string *error);

// Checks every id against [0, vocabSize); the message names the first bad id, its position and the
// vocabulary size.
bool checkTokenIds(const std::vector<int64_t> &ids, int64_t vocabSize, std::string *error);

// Reads a file of token ids (tern-run --ppl) and parses it as above. A file over
// kMaxTokenFileBytes is refused before it is read: more than kMaxTokenIds ids cannot fit in it
// anyway unless padded. Errors start with the path.
inline constexpr uint64_t kMaxTokenFileBytes = uint64_t(256) << 20;
bool readTokenIdFile(const std::string &path, std::vector<int64_t> *ids, std::string *error);

}  // namespace tern

#endif  // TERN_RUNTIME_TOKEN_LIST_H
