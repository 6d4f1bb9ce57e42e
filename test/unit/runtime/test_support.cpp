#include "test_support.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <gtest/gtest.h>

#include "fake_model_reference.h"
#include "tern/artifact.h"

namespace tern::test {
namespace {

void removeTree(const std::string &path) {
  if (DIR *dir = ::opendir(path.c_str())) {
    while (dirent *entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      std::string child = path + "/" + name;
      struct stat st;
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) removeTree(child);
      else ::unlink(child.c_str());
    }
    ::closedir(dir);
  }
  ::rmdir(path.c_str());
}

}  // namespace

ScratchDir::ScratchDir() {
  std::string base = ::testing::TempDir();
  if (base.empty() || base.back() != '/') base += '/';
  std::string pattern = base + "tern-runtime-test.XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

ScratchDir::~ScratchDir() { removeTree(path_); }

std::vector<std::string> ScratchDir::entries() const {
  std::vector<std::string> names;
  if (DIR *dir = ::opendir(path_.c_str())) {
    while (dirent *entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<unsigned char> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
}

void writeBytes(const std::string &path, const std::vector<unsigned char> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void writeText(const std::string &path, const std::string &text) {
  writeBytes(path, std::vector<unsigned char>(text.begin(), text.end()));
}

std::string readText(const std::string &path) {
  std::vector<unsigned char> bytes = readBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

std::string fakeModelPath() { return TERN_FAKE_MODEL_PATH; }
std::string fakeModelV2Path() { return TERN_FAKE_MODEL_V2_PATH; }
std::string fakeModelBrokenPath() { return TERN_FAKE_MODEL_BROKEN_PATH; }

std::string fakeManifest(const std::string &prefillSymbol, const std::string &decodeSymbol) {
  return R"({"format_version": 1, "producer": "fake_model.c", "kind": "test_fake",)"
         R"( "target": {"triple": "x86_64-unknown-linux-gnu"},)"
         R"( "model": {"hidden_size": 4, "num_hidden_layers": 2, "vocab_size": 8,)"
         R"( "bos_token_id": 1, "eos_token_id": 2},)"
         R"( "entry_points": {"prefill": ")" + prefillSymbol + R"(", "decode": ")" + decodeSymbol +
         R"("}, "state": {"shape": [2, 4], "dtype": "f32"}, "tokenizer": null})";
}

void writeFakeArtifact(const std::string &artifactPath, const std::string &soPath,
                       const std::vector<float> &emb, const std::string &manifest) {
  std::vector<unsigned char> code = readBytes(soPath);
  std::vector<unsigned char> weights = fakeWeightsBytes(emb);
  std::string error;
  ASSERT_TRUE(writeArtifact(artifactPath, manifest, code.data(), code.size(), weights.data(),
                            weights.size(), &error))
      << error;
}

uint64_t getU64(const std::vector<unsigned char> &bytes, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes.at(at + i);
  return v;
}

void putU32(std::vector<unsigned char> &bytes, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes.at(at + i) = static_cast<unsigned char>(value >> (8 * i));
}

void putU64(std::vector<unsigned char> &bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes.at(at + i) = static_cast<unsigned char>(value >> (8 * i));
}

}  // namespace tern::test
