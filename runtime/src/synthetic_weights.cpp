#include "synthetic_weights.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace tern {
namespace {

// splitmix64: small, fast, and the same everywhere.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) from the top 24 bits.
  float unit() { return float(next() >> 40) * (1.0f / 16777216.0f); }
};

// A byte of four 2-bit codes, each 0, 1 or 2 (trits -1, 0, +1), from 32 random bits.
uint8_t twoBitByte(uint32_t bits) {
  uint8_t byte = 0;
  for (int i = 0; i < 4; ++i) byte |= uint8_t(((((bits >> (8 * i)) & 0xff) * 3) >> 8) << (2 * i));
  return byte;
}

bool fill(const std::string &dtype, const std::string &packing, Random &random, uint8_t *at,
          uint64_t bytes, std::string *error) {
  if (dtype == "i8") {
    for (uint64_t i = 0; i < bytes; ++i) {
      uint64_t r = random.next();
      if (packing == "two_bit")
        at[i] = twoBitByte(uint32_t(r));
      else if (packing == "base3")
        at[i] = uint8_t(((r & 0xffff) * 243) >> 16);  // five base-3 digits
      else if (packing == "none")
        at[i] = uint8_t(int8_t(int(((r & 0xff) * 3) >> 8) - 1));
      else {
        *error = "cannot synthesize trits in packing \"" + packing + "\"";
        return false;
      }
    }
    return true;
  }
  if (dtype == "f32") {
    for (uint64_t i = 0; i + 4 <= bytes; i += 4) {
      float v = 0.5f + 0.5f * random.unit();
      std::memcpy(at + i, &v, 4);
    }
    return true;
  }
  if (dtype == "bf16") {
    for (uint64_t i = 0; i + 2 <= bytes; i += 2) {
      float v = 2.0f * random.unit() - 1.0f;
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      uint16_t high = uint16_t(bits >> 16);  // truncated to bf16
      std::memcpy(at + i, &high, 2);
    }
    return true;
  }
  *error = "cannot synthesize weights of dtype \"" + dtype + "\"";
  return false;
}

}  // namespace

bool readSyntheticWeights(std::string_view manifestText, SyntheticWeights *out, std::string *error) {
  *out = SyntheticWeights{};
  nlohmann::json manifest =
      nlohmann::json::parse(manifestText.begin(), manifestText.end(), nullptr, false);
  if (!manifest.is_object()) return true;  // the manifest checks report this
  auto random = manifest.find("random_weights");
  if (random == manifest.end()) return true;
  auto seed = random->is_object() ? random->find("seed") : random->end();
  auto bytes = manifest.find("weights_bytes");
  if (seed == random->end() || !seed->is_number_unsigned() || bytes == manifest.end() ||
      !bytes->is_number_unsigned()) {
    *error = "the manifest's \"random_weights\" needs an unsigned \"seed\" and \"weights_bytes\"";
    return false;
  }
  out->present = true;
  out->seed = seed->get<uint64_t>();
  out->bytes = bytes->get<uint64_t>();
  return true;
}

bool synthesizeWeights(std::string_view manifestText, const SyntheticWeights &weights, uint8_t *out,
                       std::string *error) {
  nlohmann::json manifest =
      nlohmann::json::parse(manifestText.begin(), manifestText.end(), nullptr, false);
  std::memset(out, 0, weights.bytes);
  auto list = manifest.is_object() ? manifest.find("weights") : manifest.end();
  if (list == manifest.end() || !list->is_array()) {
    *error = "the manifest lists no \"weights\" to synthesize";
    return false;
  }
  std::string packing = manifest.value("packing", std::string("two_bit"));
  uint64_t index = 0;
  for (const nlohmann::json &entry : *list) {
    if (!entry.is_object() || !entry.contains("offset") || !entry.contains("bytes") ||
        !entry.contains("dtype") || !entry["offset"].is_number_unsigned() ||
        !entry["bytes"].is_number_unsigned() || !entry["dtype"].is_string()) {
      *error = "weights entry " + std::to_string(index) + " lacks offset, bytes or dtype";
      return false;
    }
    uint64_t offset = entry["offset"].get<uint64_t>(), bytes = entry["bytes"].get<uint64_t>();
    if (offset > weights.bytes || bytes > weights.bytes - offset) {
      *error = "weights entry " + std::to_string(index) + " lies outside weights_bytes";
      return false;
    }
    // Each entry has its own stream of numbers, so entries do not depend on each other's sizes.
    Random random{weights.seed * 0x100000001B3ull + index};
    if (!fill(entry["dtype"].get<std::string>(), packing, random, out + offset, bytes, error)) {
      *error = "weights entry " + std::to_string(index) + ": " + *error;
      return false;
    }
    ++index;
  }
  return true;
}

}  // namespace tern
