#include "npy.h"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "atomic_file.h"

namespace tern {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kDataAlignment = 64;
// NumPy's own limit (NPY_MAXDIMS in NumPy 2); bounds the shape a header can make the reader store.
constexpr size_t kMaxRank = 64;

std::string shapeTuple(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) text += ",";
  return text + ")";
}


// A tiny reader for the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  explicit HeaderParser(std::string text) : text_(std::move(text)) {}

  // Finds 'key': and leaves the cursor on its value.
  bool seekKey(const char *key) {
    const std::string quoted = std::string("'") + key + "'";
    size_t at = text_.find(quoted);
    if (at == std::string::npos) return false;
    pos_ = at + quoted.size();
    skipSpace();
    if (pos_ >= text_.size() || text_[pos_] != ':') return false;
    ++pos_;
    skipSpace();
    return true;
  }
  bool readString(std::string *out) {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string::npos) return false;
    *out = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  bool readBool(bool *out) {
    for (const char *word : {"True", "False"}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        *out = word[0] == 'T';
        pos_ += std::strlen(word);
        return true;
      }
    }
    return false;
  }
  bool readShape(std::vector<int64_t> *out) {
    out->clear();
    if (pos_ >= text_.size() || text_[pos_] != '(') return false;
    ++pos_;
    for (;;) {
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ')') return true;
      size_t start = pos_;
      int64_t value = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (value > (INT64_MAX - 9) / 10) return false;
        value = value * 10 + (text_[pos_++] - '0');
      }
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long suffix
      if (pos_ == start) return false;
      out->push_back(value);
      if (out->size() > kMaxRank) return true;  // the caller refuses it; no need to read on
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
      else if (pos_ >= text_.size() || text_[pos_] != ')') return false;
    }
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  std::string text_;
  size_t pos_ = 0;
};

}  // namespace

size_t npyItemSize(NpyDType dtype) {
  switch (dtype) {
    case NpyDType::Int8: return 1;
    case NpyDType::Int16: return 2;
    case NpyDType::Float32:
    case NpyDType::Int32: return 4;
    case NpyDType::Float64:
    case NpyDType::Int64: return 8;
  }
  return 0;
}

const char *npyDescr(NpyDType dtype) {
  switch (dtype) {
    case NpyDType::Float32: return "<f4";
    case NpyDType::Float64: return "<f8";
    case NpyDType::Int8: return "|i1";
    case NpyDType::Int16: return "<i2";
    case NpyDType::Int32: return "<i4";
    case NpyDType::Int64: return "<i8";
  }
  return "";
}

int64_t NpyArray::elementCount() const {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

bool writeNpyFloat32(const std::string &path, const float *data, const std::vector<int64_t> &shape,
                     std::string *error) {
  return writeNpy(path, NpyDType::Float32, data, shape, error);
}

bool writeNpy(const std::string &path, NpyDType dtype, const void *data,
              const std::vector<int64_t> &shape, std::string *error) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      *error = path + ": negative dimension in shape " + shapeTuple(shape);
      return false;
    }
    count *= d;
  }
  std::string header =
      std::string("{'descr': '") + npyDescr(dtype) + "', 'fortran_order': False, 'shape': " +
      shapeTuple(shape) + ", }";
  // magic(6) + version(2) + header length(2) + header, padded with spaces and ended by '\n'.
  const size_t prefix = kMagicSize + 2 + 2;
  const size_t total = (prefix + header.size() + 1 + kDataAlignment - 1) / kDataAlignment *
                       kDataAlignment;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  if (header.size() > 0xffff) {
    *error = path + ": shape " + shapeTuple(shape) + " is too long for an .npy 1.0 header";
    return false;
  }
  unsigned char preamble[prefix];
  std::memcpy(preamble, kMagic, kMagicSize);
  preamble[6] = 1;  // format 1.0
  preamble[7] = 0;
  preamble[8] = static_cast<unsigned char>(header.size() & 0xff);
  preamble[9] = static_cast<unsigned char>(header.size() >> 8);

  AtomicFile out;
  return out.open(path, error) && out.write(preamble, prefix, error) &&
         out.write(header.data(), header.size(), error) &&
         out.write(data, npyItemSize(dtype) * static_cast<size_t>(count), error) &&
         out.commit(error);
}

bool readNpy(const std::string &path, NpyArray *out, std::string *error) {
  auto fail = [&](const std::string &message) {
    *error = path + ": " + message;
    return false;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + std::strerror(errno));
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail("read error");
  std::string why;
  if (!parseNpy(file, out, &why)) return fail(why);
  return true;
}

bool parseNpy(std::string_view file, NpyArray *out, std::string *why) {
  auto fail = [&](const std::string &message) {
    *why = message;
    return false;
  };
  if (file.size() < kMagicSize + 4 || file.compare(0, kMagicSize, kMagic, kMagicSize) != 0)
    return fail("not an .npy file (bad magic)");
  const unsigned major = static_cast<unsigned char>(file[6]);
  size_t headerLength, headerStart;
  auto byteAt = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(file[i])); };
  if (major == 1) {
    headerLength = byteAt(8) | byteAt(9) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (file.size() < 12) return fail("truncated header");
    headerLength = byteAt(8) | byteAt(9) << 8 | byteAt(10) << 16 | byteAt(11) << 24;
    headerStart = 12;
  } else {
    return fail("unsupported .npy format version " + std::to_string(major));
  }
  if (headerLength > file.size() - headerStart) return fail("truncated header");

  HeaderParser header(std::string(file.substr(headerStart, headerLength)));
  std::string descr;
  bool fortranOrder = false;
  NpyArray array;
  if (!header.seekKey("descr") || !header.readString(&descr))
    return fail("header has no readable 'descr'");
  if (descr == "<f4") array.dtype = NpyDType::Float32;
  else if (descr == "<f8") array.dtype = NpyDType::Float64;
  else if (descr == "|i1" || descr == "<i1" || descr == "i1") array.dtype = NpyDType::Int8;
  else if (descr == "<i2") array.dtype = NpyDType::Int16;
  else if (descr == "<i4") array.dtype = NpyDType::Int32;
  else if (descr == "<i8") array.dtype = NpyDType::Int64;
  else
    return fail("unsupported dtype '" + descr +
                "' (this reader takes '<f4', '<f8', '|i1', '<i2', '<i4', '<i8')");
  if (!header.seekKey("fortran_order") || !header.readBool(&fortranOrder))
    return fail("header has no readable 'fortran_order'");
  if (fortranOrder) return fail("Fortran-order arrays are not supported");
  if (!header.seekKey("shape") || !header.readShape(&array.shape))
    return fail("header has no readable 'shape'");
  if (array.shape.size() > kMaxRank)
    return fail("shape has more than " + std::to_string(kMaxRank) + " dimensions");

  const size_t dataStart = headerStart + headerLength;
  const size_t dataSize = file.size() - dataStart;
  uint64_t expected = npyItemSize(array.dtype);
  for (int64_t d : array.shape) {
    if (d != 0 && expected > UINT64_MAX / static_cast<uint64_t>(d)) return fail("shape too large");
    expected *= static_cast<uint64_t>(d);
  }
  if (dataSize != expected)
    return fail("holds " + std::to_string(dataSize) + " data bytes, its header says " +
                std::to_string(expected));
  array.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(dataStart), file.end());
  *out = std::move(array);
  return true;
}

}  // namespace tern
