#include "synthetic_weights.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "thread_pool.h"

namespace tern {
namespace {

// splitmix64: small, fast, and the same everywhere. Value i of a stream (i = 0, 1, ...) is a
// function of the seed and i alone, so a stream can be filled in pieces, in any order.
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
  // Skips n values.
  void skip(uint64_t n) { state += n * 0x9E3779B97F4A7C15ull; }
};

// A byte of four 2-bit codes, each 0, 1 or 2 (trits -1, 0, +1), from 32 random bits.
uint8_t twoBitByte(uint32_t bits) {
  uint8_t byte = 0;
  for (int i = 0; i < 4; ++i) byte |= uint8_t(((((bits >> (8 * i)) & 0xff) * 3) >> 8) << (2 * i));
  return byte;
}

// What one value of a stream becomes: a byte of trits in a packing, an f32, a bf16.
enum class Kind { TwoBit, Base3, Trit, F32, BF16 };

// The bytes one value of the stream fills.
uint64_t valueBytes(Kind kind) { return kind == Kind::F32 ? 4 : kind == Kind::BF16 ? 2 : 1; }

bool kindOf(const std::string &dtype, const std::string &packing, Kind *kind, std::string *error) {
  if (dtype == "i8") {
    if (packing == "two_bit") *kind = Kind::TwoBit;
    else if (packing == "base3") *kind = Kind::Base3;  // five base-3 digits a byte
    else if (packing == "none") *kind = Kind::Trit;
    else return (*error = "cannot synthesize trits in packing \"" + packing + "\""), false;
    return true;
  }
  if (dtype == "f32") return (*kind = Kind::F32), true;
  if (dtype == "bf16") return (*kind = Kind::BF16), true;
  return (*error = "cannot synthesize weights of dtype \"" + dtype + "\""), false;
}

// Values [first, first + count) of `random`'s stream, written from `at` (the entry's start).
void fill(Kind kind, Random random, uint64_t first, uint64_t count, uint8_t *at) {
  random.skip(first);
  uint64_t width = valueBytes(kind);
  for (uint64_t i = first; i < first + count; ++i) {
    uint8_t *to = at + i * width;
    switch (kind) {
      case Kind::TwoBit: *to = twoBitByte(uint32_t(random.next())); break;
      case Kind::Base3: *to = uint8_t(((random.next() & 0xffff) * 243) >> 16); break;
      case Kind::Trit: *to = uint8_t(int8_t(int(((random.next() & 0xff) * 3) >> 8) - 1)); break;
      case Kind::F32: {
        float v = 0.5f + 0.5f * random.unit();
        std::memcpy(to, &v, 4);
        break;
      }
      case Kind::BF16: {
        float v = 2.0f * random.unit() - 1.0f;
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        uint16_t high = uint16_t(bits >> 16);  // truncated to bf16
        std::memcpy(to, &high, 2);
        break;
      }
    }
  }
}

// One entry of the manifest's "weights", checked: index in the list, bytes it owns, values it fills
// from its start.
struct Entry {
  uint64_t index, offset, bytes, values;
  Kind kind;
  Random random;
};

// A piece of work for one thread: values [first, first + count) of an entry.
struct Piece {
  const Entry *entry;
  uint64_t first, count;
};

constexpr uint64_t kPieceValues = uint64_t(1) << 20;

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
                       std::string *error, int threads) {
  nlohmann::json manifest =
      nlohmann::json::parse(manifestText.begin(), manifestText.end(), nullptr, false);
  auto list = manifest.is_object() ? manifest.find("weights") : manifest.end();
  if (list == manifest.end() || !list->is_array()) {
    *error = "the manifest lists no \"weights\" to synthesize";
    return false;
  }
  std::string packing = manifest.value("packing", std::string("two_bit"));
  // Every entry checked first, then filled in pieces of at most kPieceValues values.
  std::vector<Entry> entries;
  entries.reserve(list->size());
  for (const nlohmann::json &entry : *list) {
    uint64_t index = entries.size();
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
    Kind kind;
    if (!kindOf(entry["dtype"].get<std::string>(), packing, &kind, error)) {
      *error = "weights entry " + std::to_string(index) + ": " + *error;
      return false;
    }
    // Each entry has its own stream of numbers, so entries do not depend on each other's sizes.
    entries.push_back({index, offset, bytes, bytes / valueBytes(kind), kind,
                       Random{weights.seed * 0x100000001B3ull + index}});
  }
  // The threads fill the entries at once, so no two may overlap; only the bytes no value fills
  // are zeroed here (the rest is first touched by the threads that fill it).
  std::vector<const Entry *> byOffset;
  for (const Entry &entry : entries) byOffset.push_back(&entry);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const Entry *a, const Entry *b) { return a->offset < b->offset; });
  uint64_t end = 0;
  const Entry *last = nullptr;
  for (const Entry *entry : byOffset) {
    if (entry->bytes > 0 && entry->offset < end) {
      *error = "weights entries " + std::to_string(std::min(last->index, entry->index)) + " and " +
               std::to_string(std::max(last->index, entry->index)) + " overlap";
      return false;
    }
    if (entry->offset > end) std::memset(out + end, 0, entry->offset - end);
    uint64_t filled = entry->values * valueBytes(entry->kind);
    std::memset(out + entry->offset + filled, 0, entry->bytes - filled);
    end = std::max(end, entry->offset + entry->bytes);
    if (entry->bytes > 0) last = entry;
  }
  std::memset(out + end, 0, weights.bytes - end);
  std::vector<Piece> pieces;
  for (const Entry &entry : entries)
    for (uint64_t first = 0; first < entry.values; first += kPieceValues)
      pieces.push_back({&entry, first, std::min(kPieceValues, entry.values - first)});
  struct Job {
    const Piece *pieces;
    uint8_t *out;
  };
  auto run = [](void *context, int64_t task) {
    const Job &job = *static_cast<const Job *>(context);
    const Piece &piece = job.pieces[task];
    fill(piece.entry->kind, piece.entry->random, piece.first, piece.count,
         job.out + piece.entry->offset);
  };
  if (threads <= 0) threads = ThreadPool::availableCpus();
  threads = int(std::min<uint64_t>(uint64_t(threads), std::max<uint64_t>(pieces.size(), 1)));
  std::optional<ThreadPool> pool;
  if (threads > 1) pool.emplace(threads);
  for (size_t start = 0; start < pieces.size(); start += size_t(ThreadPool::kMaxTasks)) {
    Job job{pieces.data() + start, out};
    int64_t count = int64_t(std::min(pieces.size() - start, size_t(ThreadPool::kMaxTasks)));
    if (pool)
      pool->run(count, run, &job);
    else
      for (int64_t t = 0; t < count; ++t) run(&job, t);
  }
  return true;
}

}  // namespace tern
