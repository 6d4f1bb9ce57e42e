// The manifest's required members and their checks; see tern/artifact.h.
#include <cinttypes>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "tern/artifact.h"

namespace tern {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Dimensions and token ids are int32 in the ABI, so anything above this in the manifest is an error.
constexpr int64_t kMaxDimension = std::numeric_limits<int32_t>::max();

// Accepts "0x" followed by 1 to 8 hex digits (either case).
bool parseCrcText(const std::string &text, uint32_t *out) {
  if (text.size() < 3 || text.size() > 10 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return false;
  uint32_t value = 0;
  for (size_t i = 2; i < text.size(); ++i) {
    char c = text[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return false;
    value = (value << 4) | digit;
  }
  *out = value;
  return true;
}

// The small typed accessors below keep parseArtifactManifest's messages uniform: each names the
// member by its dotted path and says what was expected.
const OrderedJson *member(const OrderedJson &object, const char *key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

bool requireObject(const OrderedJson &parent, const char *key, const std::string &where,
                   const OrderedJson **out, std::string *why) {
  const OrderedJson *value = member(parent, key);
  if (!value || !value->is_object()) {
    *why = "member \"" + where + "\" " + (value ? "must be an object" : "is missing");
    return false;
  }
  *out = value;
  return true;
}

bool requireString(const OrderedJson &parent, const char *key, const std::string &where,
                   std::string *out, std::string *why) {
  const OrderedJson *value = member(parent, key);
  if (!value || !value->is_string() || value->get<std::string>().empty()) {
    *why = "member \"" + where + "\" " + (value ? "must be a non-empty string" : "is missing");
    return false;
  }
  *out = value->get<std::string>();
  return true;
}

bool integerInRange(const OrderedJson &value, int64_t lo, int64_t hi, int64_t *out) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(hi) || static_cast<int64_t>(v) < lo) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < lo || v > hi) return false;
    *out = v;
    return true;
  }
  return false;
}

bool requireInteger(const OrderedJson &parent, const char *key, const std::string &where,
                    int64_t lo, int64_t hi, int64_t *out, std::string *why) {
  const OrderedJson *value = member(parent, key);
  if (!value || !integerInRange(*value, lo, hi, out)) {
    *why = "member \"" + where + "\" " +
           (value ? "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"
                  : std::string("is missing"));
    return false;
  }
  return true;
}

// Absent or null → -1; otherwise it must be an integer in [0, kMaxDimension].
bool optionalTokenId(const OrderedJson &parent, const char *key, const std::string &where,
                     int64_t *out, std::string *why) {
  const OrderedJson *value = member(parent, key);
  if (!value || value->is_null()) {
    *out = -1;
    return true;
  }
  return requireInteger(parent, key, where, 0, kMaxDimension, out, why);
}

bool parseManifestObject(const OrderedJson &root, ArtifactManifest *out, std::string *why) {
  if (!root.is_object()) {
    *why = "the manifest must be a JSON object";
    return false;
  }
  ArtifactManifest m;
  int64_t version = 0;
  if (!requireInteger(root, "format_version", "format_version", 0, kMaxDimension, &version, why))
    return false;
  if (version != kArtifactFormatVersion) {
    *why = "manifest format_version is " + std::to_string(version) + ", this runtime reads " +
           std::to_string(kArtifactFormatVersion);
    return false;
  }
  if (const OrderedJson *abi = member(root, "abi")) {
    if (!abi->is_string() || abi->get<std::string>() != kArtifactAbi) {
      *why = "member \"abi\" is " + abi->dump() + ", this runtime speaks \"" + kArtifactAbi + "\"";
      return false;
    }
  }
  if (const OrderedJson *kind = member(root, "kind"); kind && kind->is_string())
    m.kind = kind->get<std::string>();
  if (const OrderedJson *producer = member(root, "producer"); producer && producer->is_string())
    m.producer = producer->get<std::string>();

  const OrderedJson *model = nullptr;
  if (!requireObject(root, "model", "model", &model, why) ||
      !requireInteger(*model, "hidden_size", "model.hidden_size", 1, kMaxDimension, &m.hiddenSize, why) ||
      !requireInteger(*model, "num_hidden_layers", "model.num_hidden_layers", 1, kMaxDimension,
                      &m.numLayers, why) ||
      !requireInteger(*model, "vocab_size", "model.vocab_size", 1, kMaxDimension, &m.vocabSize, why) ||
      !optionalTokenId(*model, "bos_token_id", "model.bos_token_id", &m.bosTokenId, why) ||
      !optionalTokenId(*model, "eos_token_id", "model.eos_token_id", &m.eosTokenId, why))
    return false;

  const OrderedJson *entryPoints = nullptr;
  if (!requireObject(root, "entry_points", "entry_points", &entryPoints, why) ||
      !requireString(*entryPoints, "prefill", "entry_points.prefill", &m.prefillSymbol, why) ||
      !requireString(*entryPoints, "decode", "entry_points.decode", &m.decodeSymbol, why))
    return false;

  // The runtime allocates the recurrent state from model.*; state.* must agree with it.
  const OrderedJson *state = nullptr;
  if (!requireObject(root, "state", "state", &state, why)) return false;
  const OrderedJson *shape = member(*state, "shape");
  const OrderedJson expectedShape = OrderedJson::array({m.numLayers, m.hiddenSize});
  if (!shape || *shape != expectedShape) {
    *why = "member \"state.shape\" is " + (shape ? shape->dump() : std::string("missing")) +
           ", expected " + expectedShape.dump() + " ([num_hidden_layers, hidden_size])";
    return false;
  }
  const OrderedJson *dtype = member(*state, "dtype");
  if (!dtype || *dtype != "f32") {
    *why = "member \"state.dtype\" is " + (dtype ? dtype->dump() : std::string("missing")) +
           ", expected \"f32\"";
    return false;
  }

  const OrderedJson *checksums = nullptr;
  std::string algorithm, codeCrc, weightsCrc;
  if (!requireObject(root, "checksums", "checksums", &checksums, why) ||
      !requireString(*checksums, "algorithm", "checksums.algorithm", &algorithm, why) ||
      !requireString(*checksums, "code", "checksums.code", &codeCrc, why) ||
      !requireString(*checksums, "weights", "checksums.weights", &weightsCrc, why))
    return false;
  if (algorithm != "crc32") {
    *why = "member \"checksums.algorithm\" is \"" + algorithm + "\", this runtime knows \"crc32\"";
    return false;
  }
  if (!parseCrcText(codeCrc, &m.codeCrc32)) {
    *why = "member \"checksums.code\" is \"" + codeCrc + "\", expected \"0x\" and 8 hex digits";
    return false;
  }
  if (!parseCrcText(weightsCrc, &m.weightsCrc32)) {
    *why = "member \"checksums.weights\" is \"" + weightsCrc + "\", expected \"0x\" and 8 hex digits";
    return false;
  }
  *out = std::move(m);
  return true;
}

}  // namespace

std::string formatArtifactCrc32(uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, crc);
  return buf;
}

bool parseArtifactManifest(std::string_view json, ArtifactManifest *out, std::string *why) {
  OrderedJson root;
  try {
    root = OrderedJson::parse(json.begin(), json.end());
  } catch (const nlohmann::json::exception &e) {
    *why = std::string("the manifest is not valid JSON: ") + e.what();
    return false;
  }
  return parseManifestObject(root, out, why);
}

}  // namespace tern
