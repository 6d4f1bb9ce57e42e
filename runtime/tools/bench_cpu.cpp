#include "bench_cpu.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "read_bandwidth.h"

namespace tern {
namespace {

// A "VmRSS:   1234 kB" line of /proc/self/status, in bytes (0 if absent).
double statusBytes(const char *key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.compare(0, std::strlen(key), key) == 0)
      return std::strtod(line.c_str() + std::strlen(key) + 1, nullptr) * 1024;
  return 0;
}

}  // namespace

nlohmann::json cpuBenchFacts(const tern_model *model, const std::string &modelPath,
                             const nlohmann::json &manifest,
                             std::unique_ptr<ReadBandwidthMeter> *meter) {
  nlohmann::json facts;
  facts["threads"] = tern_model_threads(model);
  facts["isa"] = tern_model_isa(model);
  facts["layout"] = manifest.value("packing", "");
  // Before the read measurement, whose buffer is not the model's.
  facts["rss_bytes"] = statusBytes("VmRSS:");
  facts["peak_rss_bytes"] = statusBytes("VmHWM:");
  struct stat st;
  facts["artifact_bytes"] = ::stat(modelPath.c_str(), &st) == 0 ? double(st.st_size) : 0.0;
  *meter = std::make_unique<ReadBandwidthMeter>(tern_model_threads(model));
  ReadBandwidth read = (*meter)->measure(5);
  facts["read_gbps"] = read.best;
  nlohmann::json readers = nlohmann::json::object();
  for (const ReaderResult &reader : read.readers) readers[reader.name] = reader.gbps;
  facts["readers"] = readers;
  return facts;
}

}  // namespace tern
