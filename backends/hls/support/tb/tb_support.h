// tb_support.h - what tern's HLS testbenches share: command-line token ids,
// .npy files, and the dump of the integers the design traces (TERN_TRACE).
//
// Testbench code: runs in C simulation only, so it uses the standard library
// freely. Copied into every project by `ternc --target=hls`.
#ifndef TERN_TB_SUPPORT_H
#define TERN_TB_SUPPORT_H

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace tb {

// Token ids as tern-run takes them: decimal integers separated by commas
// and/or whitespace ("5,17,42"). Returns false with a message on bad text.
inline bool parseTokenIds(const std::string &text, std::vector<long long> *ids, std::string *error) {
  size_t i = 0;
  bool expectId = true; // after the start or a comma, an id must follow
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == ',') {
      if (expectId) {
        *error = "empty token id at offset " + std::to_string(i) + " in '" + text + "'";
        return false;
      }
      expectId = true;
      ++i;
      continue;
    }
    const char *begin = text.c_str() + i;
    char *end = nullptr;
    errno = 0;
    long long id = std::strtoll(begin, &end, 10);
    if (end == begin || errno != 0) {
      *error = "bad token id at offset " + std::to_string(i) + " in '" + text + "'";
      return false;
    }
    ids->push_back(id);
    expectId = false;
    i += size_t(end - begin);
  }
  if (expectId && !ids->empty()) {
    *error = "empty token id at the end of '" + text + "'";
    return false;
  }
  return true;
}

// A C-order .npy (format 1.0) of `count` little-endian values described by
// `descr` ("<f4", "<i4") and `shape`.
inline bool writeNpy(const std::string &path, const char *descr, const void *data, size_t elementBytes,
                     const std::vector<long long> &shape, std::string *error) {
  std::string dims;
  size_t count = 1;
  for (long long d : shape) {
    dims += std::to_string(d) + (shape.size() == 1 ? "," : ", ");
    count *= size_t(d);
  }
  if (!shape.empty() && shape.size() > 1)
    dims.resize(dims.size() - 2);
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(header.size() & 0xff), (unsigned char)(header.size() >> 8)};
  bool ok = std::fwrite(magic, 1, 10, file) == 10 &&
            std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
            (count == 0 || std::fwrite(data, elementBytes, count, file) == count);
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    *error = path + ": write failed";
  return ok;
}

// Reads a float32 C-order .npy of format 1.0 or 2.0 into `values` and `shape`.
inline bool readNpyFloat32(const std::string &path, std::vector<float> *values, std::vector<long long> *shape,
                           std::string *error) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  unsigned char magic[8];
  std::string header;
  bool ok = std::fread(magic, 1, 8, file) == 8 && magic[0] == 0x93 && std::memcmp(magic + 1, "NUMPY", 5) == 0;
  if (ok) {
    size_t length = 0;
    unsigned char bytes[4] = {0, 0, 0, 0};
    size_t width = magic[6] == 1 ? 2 : 4;
    ok = std::fread(bytes, 1, width, file) == width;
    for (size_t i = 0; i < width; ++i)
      length |= size_t(bytes[i]) << (8 * i);
    header.resize(length);
    ok = ok && std::fread(&header[0], 1, length, file) == length;
  }
  ok = ok && header.find("'descr': '<f4'") != std::string::npos &&
       header.find("'fortran_order': False") != std::string::npos;
  size_t open = header.find("'shape': (");
  size_t count = 1;
  if (ok && open != std::string::npos) {
    const char *p = header.c_str() + open + 10;
    while (*p && *p != ')') {
      char *end = nullptr;
      long long d = std::strtoll(p, &end, 10);
      if (end == p) {
        ++p;
        continue;
      }
      shape->push_back(d);
      count *= size_t(d);
      p = end;
    }
  } else {
    ok = false;
  }
  if (ok) {
    values->resize(count);
    ok = count == 0 || std::fread(values->data(), sizeof(float), count, file) == count;
  }
  std::fclose(file);
  if (!ok)
    *error = path + ": not a float32 C-order .npy file";
  return ok;
}

// The integers the design reports through TERN_TRACE, by "<key>.<what>".
inline std::map<std::string, std::vector<int32_t>> &traces() {
  static std::map<std::string, std::vector<int32_t>> all;
  return all;
}

inline void recordTrace(const char *key, const char *what, long long value) {
  traces()[std::string(key) + "." + what].push_back(int32_t(value));
}

// Writes every trace as DIR/<key>.<what>.npy (int32, one dimension).
inline bool writeTraces(const std::string &dir, std::string *error) {
  for (const auto &entry : traces()) {
    std::vector<long long> shape{(long long)entry.second.size()};
    if (!writeNpy(dir + "/" + entry.first + ".npy", "<i4", entry.second.data(), sizeof(int32_t), shape,
                  error))
      return false;
  }
  return true;
}

// "--name value" or "--name=value".
inline bool optionValue(int argc, char **argv, int *i, const char *name, std::string *value) {
  std::string arg = argv[*i];
  std::string flag = std::string("--") + name;
  if (arg == flag) {
    if (*i + 1 >= argc) {
      std::fprintf(stderr, "csim: %s needs a value\n", flag.c_str());
      std::exit(2);
    }
    *value = argv[++*i];
    return true;
  }
  if (arg.compare(0, flag.size() + 1, flag + "=") == 0) {
    *value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

} // namespace tb

#endif // TERN_TB_SUPPORT_H
