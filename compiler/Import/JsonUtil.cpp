//===- JsonUtil.cpp - nlohmann::json helpers without exceptions -----------===//

#include "compiler/Import/JsonUtil.h"

#include <limits>

namespace tern::json_util {
namespace {

/// A SAX consumer that builds nothing and only records the parse error.
/// nlohmann's non-throwing parse() drops the error position, so on failure we
/// parse a second time with this to tell the user where the text is broken.
class ErrorRecorder final : public nlohmann::json_sax<nlohmann::json> {
public:
  std::string message;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t &) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string &,
                   const nlohmann::detail::exception &error) override {
    message = error.what();
    // Drop the "[json.exception.parse_error.101] " tag: noise for users.
    if (size_t close = message.find("] ");
        !message.empty() && message[0] == '[' && close != std::string::npos)
      message.erase(0, close + 2);
    message += " (byte " + std::to_string(position) + ")";
    return false;
  }
};

/// The offset of the first '[' or '{' (outside strings) that opens a level
/// deeper than kMaxJsonDepth, or npos. Malformed text is left to the parser.
size_t findTooDeep(llvm::StringRef text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return llvm::StringRef::npos;
}

} // namespace

llvm::Expected<nlohmann::json> parseJson(llvm::StringRef text,
                                         llvm::StringRef file) {
  if (size_t at = findTooDeep(text); at != llvm::StringRef::npos)
    return llvm::createStringError(
        llvm::Twine(file) + ": JSON nested more than " +
        llvm::Twine(kMaxJsonDepth) + " levels deep (at byte " +
        llvm::Twine(at) + ")");
  nlohmann::json value = nlohmann::json::parse(
      text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded())
    return value;
  ErrorRecorder recorder;
  nlohmann::json::sax_parse(text.begin(), text.end(), &recorder);
  if (recorder.message.empty())
    recorder.message = "parse error";
  return llvm::createStringError(llvm::Twine(file) +
                                 ": not valid JSON: " + recorder.message);
}

std::optional<int64_t> asInt64(const nlohmann::json &value) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return std::nullopt;
}

std::string describeType(const nlohmann::json &value) {
  if (value.is_null())
    return "null";
  if (value.is_boolean())
    return "a boolean";
  if (value.is_number_integer())
    return "an integer";
  if (value.is_number())
    return "a number";
  if (value.is_string())
    return "a string";
  if (value.is_array())
    return "an array";
  if (value.is_object())
    return "an object";
  return "an unsupported value";
}

std::string excerpt(const nlohmann::json &value) {
  constexpr size_t kMaxChars = 80;
  // Small values (all the well-formed ones) print whole; a long one is cut,
  // though it is still printed in full first: bounded by the file's size.
  std::string text = value.dump();
  if (text.size() > kMaxChars)
    text = text.substr(0, kMaxChars) + "...";
  return text;
}

} // namespace tern::json_util
