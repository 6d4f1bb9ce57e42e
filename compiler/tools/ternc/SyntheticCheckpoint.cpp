//===- SyntheticCheckpoint.cpp - a checkpoint from config.json alone ------===//
#include "compiler/tools/ternc/SyntheticCheckpoint.h"

#include "compiler/Import/ModelConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace tern {
namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Writes `dir`/model.safetensors: a header listing every tensor as BF16 and
/// a data section that is one hole (the file is extended, never written).
llvm::Error writeZeroSafeTensors(llvm::StringRef dir, const ModelConfig &config) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto &[name, shape] : Checkpoint::expectedTensors(config)) {
    uint64_t bytes = 2;
    for (int64_t d : shape)
      bytes *= uint64_t(d);
    header[name] = {{"dtype", "BF16"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' '); // data starts 8-aligned
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "model.safetensors");
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return error("cannot write " + path + ": " + ec.message());
    uint64_t length = text.size();
    for (int i = 0; i < 8; ++i)
      os << char((length >> (8 * i)) & 0xff);
    os << text;
  }
  if (::truncate(path.c_str(), off_t(8 + text.size() + offset)) != 0)
    return error("cannot extend " + path + ": " + std::strerror(errno));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::unique_ptr<Checkpoint>> openZeroCheckpoint(llvm::StringRef configPath) {
  llvm::SmallString<256> config(configPath);
  if (llvm::sys::fs::is_directory(config))
    llvm::sys::path::append(config, "config.json");
  llvm::Expected<ModelConfig> parsed = readModelConfig(config);
  if (!parsed)
    return parsed.takeError();

  llvm::SmallString<256> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("tern-random-weights", dir))
    return error("cannot create a temporary directory: " + ec.message());
  auto removeDir = [&] {
    llvm::sys::fs::remove(dir + "/model.safetensors");
    llvm::sys::fs::remove(dir + "/config.json");
    llvm::sys::fs::remove(dir);
  };
  llvm::SmallString<256> configCopy(dir);
  llvm::sys::path::append(configCopy, "config.json");
  if (std::error_code ec = llvm::sys::fs::copy_file(config, configCopy)) {
    removeDir();
    return error("cannot copy " + config + ": " + ec.message());
  }
  if (llvm::Error err = writeZeroSafeTensors(dir, *parsed)) {
    removeDir();
    return std::move(err);
  }
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  removeDir(); // the mapping outlives the file names
  return checkpoint;
}

} // namespace tern
