//===- SafeTensors.cpp - read-only, validated .safetensors files ----------===//

#include "compiler/Import/SafeTensors.h"

#include "compiler/Import/JsonUtil.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstring>

using nlohmann::json;

namespace tern {
namespace {

// The reference safetensors implementation refuses larger headers too; it
// bounds the JSON parse of an untrusted file.
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;
// Far above any real checkpoint (a 24-layer HGRNBit has about 400 tensors, and
// tern's tensors are 1-D or 2-D); they bound what one header can make tern
// allocate and loop over.
constexpr size_t kMaxTensors = size_t(1) << 16;
constexpr size_t kMaxRank = 8;

llvm::Error fileError(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::Twine(path) + ": " + message);
}

llvm::Error tensorError(llvm::StringRef path, llvm::StringRef tensor,
                        const llvm::Twine &message) {
  return llvm::createStringError(llvm::Twine(path) + ": tensor '" + tensor +
                                 "': " + message);
}

/// Where a tensor's bytes lie within the data section.
struct ByteRange {
  uint64_t begin, end;
  size_t viewIndex;
};

/// Validates one header entry and fills `view` (all but `bytes`) and `range`.
llvm::Error parseEntry(llvm::StringRef path, const std::string &name,
                       const json &entry, uint64_t dataSize, TensorView &view,
                       ByteRange &range) {
  if (!entry.is_object())
    return tensorError(path, name,
                       "header entry must be an object, got " +
                           json_util::describeType(entry));
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key))
      return tensorError(path, name,
                         llvm::Twine("header entry has no '") + key + "'");

  const json &dtypeValue = entry["dtype"];
  if (!dtypeValue.is_string())
    return tensorError(path, name,
                       "'dtype' must be a string, got " +
                           json_util::describeType(dtypeValue));
  std::string dtypeText = dtypeValue.get<std::string>();
  std::optional<DType> dtype = parseDType(dtypeText);
  if (!dtype)
    return tensorError(path, name,
                       "unsupported dtype '" + dtypeText +
                           "' (tern reads BF16, F16 and F32)");

  const json &shapeValue = entry["shape"];
  if (!shapeValue.is_array())
    return tensorError(path, name,
                       "'shape' must be an array, got " +
                           json_util::describeType(shapeValue));
  if (shapeValue.size() > kMaxRank)
    return tensorError(path, name,
                       "'shape' has " + llvm::Twine(shapeValue.size()) +
                           " dimensions, more than tern reads (" +
                           llvm::Twine(kMaxRank) + ")");
  std::vector<int64_t> shape;
  int64_t elements = 1;
  for (const json &dimValue : shapeValue) {
    std::optional<int64_t> dim = json_util::asInt64(dimValue);
    if (!dim)
      return tensorError(path, name,
                         "'shape' must hold integers, got " +
                             json_util::excerpt(dimValue));
    if (*dim < 0)
      return tensorError(
          path, name, "'shape' has a negative dimension " + llvm::Twine(*dim));
    if (llvm::MulOverflow(elements, *dim, elements))
      return tensorError(path, name,
                         "the element count of shape " +
                             json_util::excerpt(shapeValue) +
                             " overflows int64");
    shape.push_back(*dim);
  }
  int64_t expectedBytes;
  if (llvm::MulOverflow(elements, dtypeSize(*dtype), expectedBytes))
    return tensorError(path, name,
                       "the byte size of shape " +
                           json_util::excerpt(shapeValue) + " overflows int64");

  const json &offsets = entry["data_offsets"];
  std::optional<int64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = json_util::asInt64(offsets[0]);
    end = json_util::asInt64(offsets[1]);
  }
  if (!begin || !end || *begin < 0 || *begin > *end)
    return tensorError(path, name,
                       "'data_offsets' must be [begin, end] with 0 <= begin "
                       "<= end, got " +
                           json_util::excerpt(offsets));
  if (*end - *begin != expectedBytes)
    return tensorError(
        path, name,
        "'data_offsets' " + json_util::excerpt(offsets) + " span " +
            llvm::Twine(*end - *begin) + " bytes, but " + dtypeText + " " +
            formatShape(shape) + " needs " + llvm::Twine(expectedBytes));
  if (static_cast<uint64_t>(*end) > dataSize)
    return tensorError(path, name,
                       "'data_offsets' " + json_util::excerpt(offsets) +
                           " run past the end of the file (the data section "
                           "has " +
                           llvm::Twine(dataSize) + " bytes)");

  view.name = name;
  view.dtype = *dtype;
  view.shape = std::move(shape);
  view.file = path.str();
  range.begin = static_cast<uint64_t>(*begin);
  range.end = static_cast<uint64_t>(*end);
  return llvm::Error::success();
}

} // namespace

llvm::StringRef dtypeName(DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return "BF16";
  case DType::F16:
    return "F16";
  case DType::F32:
    return "F32";
  }
  llvm_unreachable("unknown DType");
}

int64_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::BF16:
  case DType::F16:
    return 2;
  case DType::F32:
    return 4;
  }
  llvm_unreachable("unknown DType");
}

std::optional<DType> parseDType(llvm::StringRef name) {
  if (name == "BF16")
    return DType::BF16;
  if (name == "F16")
    return DType::F16;
  if (name == "F32")
    return DType::F32;
  return std::nullopt;
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

float bf16BitsToFloat(uint16_t bits) {
  // bf16 is the top half of an IEEE binary32, so widening is a shift.
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

float f16BitsToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  uint32_t wide;
  if (exponent == 0x1f) {
    // Inf/NaN: keep the payload so NaNs stay NaNs.
    wide = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    // Normal: rebias the exponent from 15 to 127.
    wide = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    wide = sign; // signed zero
  } else {
    // Subnormal (mantissa * 2^-24): every one is a normal binary32, so
    // normalise the mantissa until its leading 1 is the implicit bit.
    uint32_t biased = 127 - 15 + 1;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --biased;
    }
    wide = sign | (biased << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

int64_t TensorView::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim; // cannot overflow: checked when the file was opened
  return count;
}

void TensorView::toFloat32(float *out) const {
  using namespace llvm::support::endian;
  const uint8_t *data = bytes.data();
  int64_t count = numElements();
  switch (dtype) {
  case DType::BF16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = bf16BitsToFloat(read16le(data + 2 * i));
    return;
  case DType::F16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = f16BitsToFloat(read16le(data + 2 * i));
    return;
  case DType::F32:
    for (int64_t i = 0; i < count; ++i) {
      uint32_t wide = read32le(data + 4 * i);
      std::memcpy(&out[i], &wide, sizeof(float));
    }
    return;
  }
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(llvm::StringRef path) {
  // Not volatile and no null terminator: lets LLVM mmap large files instead
  // of reading gigabytes of weights into the heap.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false,
                                  /*IsVolatile=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  return fromBuffer(std::move(*buffer), path);
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::fromBuffer(std::unique_ptr<llvm::MemoryBuffer> contentsBuffer,
                            llvm::StringRef path) {
  std::unique_ptr<SafeTensorsFile> file(new SafeTensorsFile());
  file->filePath = path.str();
  file->mapping = std::move(contentsBuffer);
  llvm::StringRef contents = file->mapping->getBuffer();
  const auto *base = reinterpret_cast<const uint8_t *>(contents.data());

  if (contents.size() < 8)
    return fileError(path,
                     "not a safetensors file: " + llvm::Twine(contents.size()) +
                         " bytes, shorter than the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(base);
  if (headerSize > kMaxHeaderBytes)
    return fileError(path, "header length " + llvm::Twine(headerSize) +
                               " exceeds the 100 MB limit");
  if (headerSize > contents.size() - 8)
    return fileError(path, "header length " + llvm::Twine(headerSize) +
                               " runs past the end of the file (" +
                               llvm::Twine(contents.size()) + " bytes)");

  llvm::Expected<json> header =
      json_util::parseJson(contents.substr(8, headerSize), path);
  if (!header)
    return header.takeError();
  if (!header->is_object())
    return fileError(path, "header must be a JSON object, got " +
                               json_util::describeType(*header));

  if (header->size() > kMaxTensors)
    return fileError(path, "header lists " + llvm::Twine(header->size()) +
                               " entries, more than tern reads (" +
                               llvm::Twine(kMaxTensors) + ")");

  uint64_t dataOffset = 8 + headerSize;
  uint64_t dataSize = contents.size() - dataOffset;
  std::vector<ByteRange> ranges;
  // nlohmann::json objects iterate in key order, so views come out sorted.
  for (auto it = header->begin(); it != header->end(); ++it) {
    if (it.key() == "__metadata__")
      continue; // free-form string map; nothing tern needs
    TensorView view;
    ByteRange range;
    if (llvm::Error error =
            parseEntry(path, it.key(), it.value(), dataSize, view, range))
      return error;
    view.bytes = llvm::ArrayRef<uint8_t>(base + dataOffset + range.begin,
                                         range.end - range.begin);
    range.viewIndex = file->views.size();
    file->indexByName[view.name] = file->views.size();
    file->views.push_back(std::move(view));
    ranges.push_back(range);
  }

  // Overlapping tensors would alias each other's bytes: a corrupt or crafted
  // file. Empty tensors occupy no bytes and cannot overlap anything.
  llvm::erase_if(ranges, [](const ByteRange &r) { return r.begin == r.end; });
  std::sort(
      ranges.begin(), ranges.end(),
      [](const ByteRange &a, const ByteRange &b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    const ByteRange &prev = ranges[i - 1], &cur = ranges[i];
    if (prev.end > cur.begin)
      return fileError(
          path, "tensors '" + file->views[prev.viewIndex].name + "' [" +
                    llvm::Twine(prev.begin) + ", " + llvm::Twine(prev.end) +
                    ") and '" + file->views[cur.viewIndex].name + "' [" +
                    llvm::Twine(cur.begin) + ", " + llvm::Twine(cur.end) +
                    ") have overlapping data_offsets");
  }
  return file;
}

const TensorView *SafeTensorsFile::find(llvm::StringRef name) const {
  auto it = indexByName.find(name);
  return it == indexByName.end() ? nullptr : &views[it->second];
}

} // namespace tern
