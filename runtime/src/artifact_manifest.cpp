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
// The model sizes ternc accepts (compiler/Import/ModelConfig.cpp): the runtime allocates the state
// (layers x hidden floats) and logits (vocab floats a token) from them before running anything, so a
// corrupt or hostile manifest must not be able to ask for terabytes.
constexpr int64_t kMaxHiddenSize = int64_t(1) << 16;
constexpr int64_t kMaxNumLayers = 1024;
constexpr int64_t kMaxVocabSize = int64_t(1) << 22;
// Arrays and objects nested deeper than this are refused before parsing: nlohmann::json compares and
// prints values recursively, so a deeply nested member would overflow the stack. Manifests nest 3.
constexpr int kMaxJsonDepth = 64;

// The offset of the first '[' or '{' (outside strings) that opens a level deeper than
// kMaxJsonDepth, or npos. Malformed text is left to the parser.
size_t findTooDeep(std::string_view text) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

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

// "tokenizer": absent or null, or {"format": name, "offset": bytes, "bytes": count} within the
// weights section (whose size the manifest does not know: ArtifactFile::open checks the extent).
bool parseTokenizer(const OrderedJson &root, ArtifactManifest *m, std::string *why) {
  const OrderedJson *tokenizer = member(root, "tokenizer");
  if (!tokenizer || tokenizer->is_null()) return true;
  if (!tokenizer->is_object()) {
    *why = "member \"tokenizer\" must be null or an object";
    return false;
  }
  int64_t offset = 0, bytes = 0;
  if (!requireString(*tokenizer, "format", "tokenizer.format", &m->tokenizerFormat, why) ||
      !requireInteger(*tokenizer, "offset", "tokenizer.offset", 0,
                      std::numeric_limits<int64_t>::max(), &offset, why) ||
      !requireInteger(*tokenizer, "bytes", "tokenizer.bytes", 1,
                      std::numeric_limits<int64_t>::max(), &bytes, why))
    return false;
  m->tokenizerOffset = static_cast<uint64_t>(offset);
  m->tokenizerSize = static_cast<uint64_t>(bytes);
  return true;
}

// model.*, entry_points.* and state.* of a model artifact (any kind but "mlir").
bool parseModelMembers(const OrderedJson &root, ArtifactManifest *m, std::string *why) {
  const OrderedJson *model = nullptr;
  if (!requireObject(root, "model", "model", &model, why) ||
      !requireInteger(*model, "hidden_size", "model.hidden_size", 1, kMaxHiddenSize, &m->hiddenSize, why) ||
      !requireInteger(*model, "num_hidden_layers", "model.num_hidden_layers", 1, kMaxNumLayers,
                      &m->numLayers, why) ||
      !requireInteger(*model, "vocab_size", "model.vocab_size", 1, kMaxVocabSize, &m->vocabSize, why) ||
      !optionalTokenId(*model, "bos_token_id", "model.bos_token_id", &m->bosTokenId, why) ||
      !optionalTokenId(*model, "eos_token_id", "model.eos_token_id", &m->eosTokenId, why))
    return false;

  const OrderedJson *entryPoints = nullptr;
  if (!requireObject(root, "entry_points", "entry_points", &entryPoints, why) ||
      !requireString(*entryPoints, "prefill", "entry_points.prefill", &m->prefillSymbol, why) ||
      !requireString(*entryPoints, "decode", "entry_points.decode", &m->decodeSymbol, why))
    return false;
  // Optional: artifacts compiled before batch decode existed lack it.
  if (member(*entryPoints, "decode_batch") &&
      !requireString(*entryPoints, "decode_batch", "entry_points.decode_batch",
                     &m->decodeBatchSymbol, why))
    return false;

  // The runtime allocates the recurrent state from model.*; state.* must agree with it.
  const OrderedJson *state = nullptr;
  if (!requireObject(root, "state", "state", &state, why)) return false;
  const OrderedJson *shape = member(*state, "shape");
  const OrderedJson expectedShape = OrderedJson::array({m->numLayers, m->hiddenSize});
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
  return true;
}

// One tensor of a function's signature: {"dtype": one of kArtifactDtypes, "shape": [d, ...]} with
// each d >= 0, or -1 for a size known only at run time.
bool parseTensorSpec(const OrderedJson &value, const std::string &where, ArtifactTensorSpec *out,
                     std::string *why) {
  const OrderedJson *dtype = value.is_object() ? member(value, "dtype") : nullptr;
  const OrderedJson *shape = value.is_object() ? member(value, "shape") : nullptr;
  if (!dtype || !dtype->is_string() || artifactDtypeSize(dtype->get<std::string>()) == 0) {
    *why = "member \"" + where + ".dtype\" must be one of f32, f64, i8, i16, i32, i64";
    return false;
  }
  if (!shape || !shape->is_array() || shape->size() > kArtifactMaxRank) {
    *why = "member \"" + where + ".shape\" must be an array of at most " +
           std::to_string(kArtifactMaxRank) + " sizes";
    return false;
  }
  out->dtype = dtype->get<std::string>();
  out->shape.clear();
  for (const OrderedJson &d : *shape) {
    int64_t size = 0;
    if (!integerInRange(d, -1, std::numeric_limits<int64_t>::max(), &size)) {
      *why = "member \"" + where + ".shape\" holds " + d.dump() + ", expected sizes >= -1";
      return false;
    }
    out->shape.push_back(size);
  }
  return true;
}

// functions: [{"name", "symbol", "arguments": [tensor...], "results": [tensor...]}, ...], at least
// one, each called through at most kArtifactMaxCallPointers pointers.
bool parseFunctions(const OrderedJson &root, std::vector<ArtifactFunction> *out, std::string *why) {
  const OrderedJson *functions = member(root, "functions");
  if (!functions || !functions->is_array() || functions->empty()) {
    *why = "member \"functions\" " +
           std::string(functions ? "must be a non-empty array" : "is missing");
    return false;
  }
  out->clear();
  for (size_t i = 0; i < functions->size(); ++i) {
    const OrderedJson &fn = (*functions)[i];
    const std::string where = "functions[" + std::to_string(i) + "]";
    if (!fn.is_object()) {
      *why = "member \"" + where + "\" must be an object";
      return false;
    }
    ArtifactFunction f;
    if (!requireString(fn, "name", where + ".name", &f.name, why) ||
        !requireString(fn, "symbol", where + ".symbol", &f.symbol, why))
      return false;
    for (const char *list : {"arguments", "results"}) {
      const OrderedJson *specs = member(fn, list);
      if (!specs || !specs->is_array()) {
        *why = "member \"" + where + "." + list + "\" must be an array";
        return false;
      }
      std::vector<ArtifactTensorSpec> &into = list[0] == 'a' ? f.arguments : f.results;
      for (size_t j = 0; j < specs->size(); ++j) {
        ArtifactTensorSpec spec;
        if (!parseTensorSpec((*specs)[j], where + "." + list + "[" + std::to_string(j) + "]",
                             &spec, why))
          return false;
        into.push_back(std::move(spec));
      }
    }
    if (f.arguments.size() + 1 + (f.results.empty() ? 0 : 1) > kArtifactMaxCallPointers) {
      *why = "member \"" + where + ".arguments\" has " + std::to_string(f.arguments.size()) +
             " entries; the runtime calls functions with at most " +
             std::to_string(kArtifactMaxCallPointers - 2);
      return false;
    }
    out->push_back(std::move(f));
  }
  return true;
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

  // A compiled MLIR module has functions where a model has its sizes, entry points and state.
  if (m.kind == kArtifactKindModule) {
    if (!parseFunctions(root, &m.functions, why)) return false;
  } else if (!parseModelMembers(root, &m, why)) {
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
  if (!parseTokenizer(root, &m, why)) return false;
  *out = std::move(m);
  return true;
}

}  // namespace

size_t artifactDtypeSize(const std::string &dtype) {
  if (dtype == "f32" || dtype == "i32") return 4;
  if (dtype == "f64" || dtype == "i64") return 8;
  if (dtype == "i16") return 2;
  if (dtype == "i8") return 1;
  return 0;
}

std::string formatArtifactCrc32(uint32_t crc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, crc);
  return buf;
}

bool parseArtifactManifest(std::string_view json, ArtifactManifest *out, std::string *why) {
  if (size_t at = findTooDeep(json); at != std::string_view::npos) {
    *why = "the manifest's JSON is nested more than " + std::to_string(kMaxJsonDepth) +
           " levels deep (at byte " + std::to_string(at) + ")";
    return false;
  }
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
