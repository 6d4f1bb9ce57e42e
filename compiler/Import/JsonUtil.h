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

/// Parses `text`; on failure the error reads "FILE: not valid JSON: <parser
/// message with line and column>", `file` naming where the text came from.
llvm::Expected<nlohmann::json> parseJson(llvm::StringRef text,
                                         llvm::StringRef file);

/// The value as int64_t if it is a JSON integer that fits; floats (even
/// integral ones like 2.0), booleans and out-of-range values give nullopt.
std::optional<int64_t> asInt64(const nlohmann::json &value);

/// A short description of a value's JSON type for error messages
/// ("a string", "null", ...).
std::string describeType(const nlohmann::json &value);

} // namespace tern::json_util

#endif // TERN_COMPILER_IMPORT_JSONUTIL_H
