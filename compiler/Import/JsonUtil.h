//===- JsonUtil.h - nlohmann::json helpers without exceptions -*- C++ -*-===//
//
// LLVM is built with -fno-exceptions, so nlohmann::json must never throw here:
// these helpers parse with allow_exceptions=false and read values only after
// checking their type. Internal to compiler/Import.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_JSONUTIL_H
#define TERN_COMPILER_IMPORT_JSONUTIL_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tern::json_util {

/// Arrays and objects nested deeper than this are refused before parsing:
/// nlohmann::json prints and compares values recursively, so a hostile file
/// of a few megabytes of '[' would overflow the stack in an error message.
/// tern's files nest three levels at most.
constexpr int kMaxJsonDepth = 64;

/// Parses `text`; on failure the error reads "FILE: not valid JSON: <parser
/// message with line and column>", `file` naming where the text came from, or
/// "FILE: JSON nested more than 64 levels deep (at byte N)".
llvm::Expected<nlohmann::json> parseJson(llvm::StringRef text,
                                         llvm::StringRef file);

/// The value as int64_t if it is a JSON integer that fits; floats (even
/// integral ones like 2.0), booleans and out-of-range values give nullopt.
std::optional<int64_t> asInt64(const nlohmann::json &value);

/// A short description of a value's JSON type for error messages
/// ("a string", "null", ...).
std::string describeType(const nlohmann::json &value);

/// The value as JSON text for an error message, cut to about 80 characters
/// ("[1,2,3,...") so that a hostile file cannot make the message huge.
std::string excerpt(const nlohmann::json &value);

} // namespace tern::json_util

#endif // TERN_COMPILER_IMPORT_JSONUTIL_H
