#include "bench_mode.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "bench_cpu.h"
#include "read_bandwidth.h"
#include "cuda/copy_bandwidth.h"
#include "tern/artifact.h"
#include "tern/runtime.h"

namespace tern {
namespace {

using Clock = std::chrono::steady_clock;

// The paired measurement on a CPU: rounds of decode steps, each followed by a read measurement.
constexpr int64_t kPairedRounds = 8, kPairedSteps = 16;

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-run: error: %s\n", message.c_str());
  return 1;
}

// The manifest alone, without mapping or checksumming the file (the runtime checks it at open).
bool readManifest(const std::string &path, nlohmann::json *manifest, std::string *error) {
  std::ifstream in(path, std::ios::binary);
  unsigned char bytes[kArtifactHeaderSize];
  if (!in.read(reinterpret_cast<char *>(bytes), sizeof bytes)) {
    *error = path + ": cannot read the artifact header";
    return false;
  }
  ArtifactHeader header = decodeArtifactHeader(bytes);
  std::string text(header.manifestSize, '\0');
  in.seekg(std::streamoff(header.manifestOffset));
  if (header.manifestSize > (64u << 20) || !in.read(text.data(), std::streamsize(text.size()))) {
    *error = path + ": cannot read the manifest";
    return false;
  }
  *manifest = nlohmann::json::parse(text, nullptr, false);
  if (!manifest->is_object()) {
    *error = path + ": the manifest is not JSON";
    return false;
  }
  return true;
}

// Bytes one decode step must move: every weight once except the embedding table, of which it reads
// one row, plus the state read and written.
double bytesPerToken(const nlohmann::json &manifest) {
  const nlohmann::json &model = manifest["model"];
  const double H = model.value("hidden_size", 0.0), L = model.value("num_hidden_layers", 0.0),
               V = model.value("vocab_size", 0.0);
  double weights = 0, embedding = 0;
  for (const nlohmann::json &entry : manifest.value("weights", nlohmann::json::array())) {
    double bytes = entry.value("bytes", 0.0);
    weights += bytes;
    if (embedding == 0 && bytes == V * H * 2) embedding = bytes;  // bf16 [V, H]
  }
  return weights - embedding + (embedding ? 2 * H : 0) + 2 * 4 * L * H;
}

struct Bench {
  tern_model *model = nullptr;
  tern_model_info_t info{};
  std::mt19937_64 random;
  std::string error;

  std::vector<int32_t> ids(int64_t n) {
    std::uniform_int_distribution<int32_t> pick(0, int32_t(info.vocab_size - 1));
    std::vector<int32_t> out(static_cast<size_t>(n));
    for (int32_t &id : out) id = pick(random);
    return out;
  }

  bool forward(tern_session *s, const int32_t *ids, size_t n, float *logits) {
    char errbuf[1024];
    if (tern_session_forward(s, ids, n, TERN_LOGITS_LAST, logits, errbuf, sizeof errbuf) == TERN_OK)
      return true;
    error = errbuf;
    return false;
  }

  // Median tok/s of `runs` prefills of n tokens, each from a zero state, after one warm-up.
  bool prefill(int64_t n, int runs, double *tokS) {
    tern_session *s = nullptr;
    if (tern_session_create(model, &s) != TERN_OK) return (error = "cannot create a session"), false;
    std::vector<float> logits(size_t(info.vocab_size));
    std::vector<double> rates;
    for (int run = 0; run <= runs; ++run) {
      std::vector<int32_t> prompt = ids(n);
      tern_session_reset(s);
      auto start = Clock::now();
      if (!forward(s, prompt.data(), prompt.size(), logits.data())) {
        tern_session_destroy(s);
        return false;
      }
      double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (run) rates.push_back(double(n) / seconds);
    }
    tern_session_destroy(s);
    std::sort(rates.begin(), rates.end());
    *tokS = rates[rates.size() / 2];
    return true;
  }

  // tok/s of `rounds` x `perRound` decode steps (the logits of each copied out, as generation
  // needs) after a 4-token prompt and 8 warm-up steps. `between`, when given, runs untimed after
  // each round and is told that round's tok/s.
  bool decode(int64_t rounds, int64_t perRound, double *tokS,
              const std::function<void(double)> &between = nullptr) {
    tern_session *s = nullptr;
    if (tern_session_create(model, &s) != TERN_OK) return (error = "cannot create a session"), false;
    std::vector<float> logits(size_t(info.vocab_size));
    std::vector<int32_t> feed = ids(4 + 8 + rounds * perRound);
    bool ok = forward(s, feed.data(), 4, logits.data());
    for (int64_t i = 0; ok && i < 8; ++i) ok = forward(s, &feed[size_t(4 + i)], 1, logits.data());
    double seconds = 0;
    for (int64_t round = 0; ok && round < rounds; ++round) {
      auto start = Clock::now();
      for (int64_t i = 0; ok && i < perRound; ++i)
        ok = forward(s, &feed[size_t(12 + round * perRound + i)], 1, logits.data());
      double roundSeconds = std::chrono::duration<double>(Clock::now() - start).count();
      seconds += roundSeconds;
      if (ok && between) between(double(perRound) / roundSeconds);
    }
    tern_session_destroy(s);
    if (ok) *tokS = double(rounds * perRound) / seconds;
    return ok;
  }

  // `steps` batch-decode steps of `size` sequences (the logits of every step copied out) after 8
  // warm-up steps (on a GPU the second one captures the graph): seconds per step.
  bool decodeBatch(int64_t size, int64_t steps, double *stepSeconds) {
    char errbuf[1024];
    tern_batch *batch = nullptr;
    if (tern_batch_create(model, size_t(size), &batch, errbuf, sizeof errbuf) != TERN_OK)
      return (error = errbuf), false;
    std::vector<float> logits(size_t(size) * size_t(info.vocab_size));
    std::vector<int32_t> feed = ids(size * (8 + steps));
    bool ok = true;
    auto start = Clock::now();
    for (int64_t i = 0; ok && i < 8 + steps; ++i) {
      if (i == 8) start = Clock::now();
      ok = tern_batch_step(batch, &feed[size_t(i * size)], size_t(size), logits.data(), errbuf,
                           sizeof errbuf) == TERN_OK;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    tern_batch_destroy(batch);
    if (!ok) return (error = errbuf), false;
    *stepSeconds = seconds / double(steps);
    return true;
  }
};

}  // namespace

int runBenchMode(const BenchModeOptions &options) {
  nlohmann::json manifest;
  std::string error;
  if (!readManifest(options.modelPath, &manifest, &error)) return fail(error);
  const nlohmann::json target = manifest.value("target", nlohmann::json::object());
  const bool onCuda = target.is_object() && target.value("kind", "") == "cuda";

  nlohmann::json result = {{"model", options.modelPath}, {"device", onCuda ? "cuda" : "cpu"}};
  if (onCuda) {
    // The ceiling first, while the GPU is otherwise idle.
    const cuda::Device *device = cuda::Device::get(&error);
    double gbps = 0;
    if (!device) return fail(options.modelPath + ": " + error);
    if (!cuda::measureCopyBandwidth(*device, size_t(1) << 30, 20, &gbps, &error))
      return fail("measuring the device-to-device copy: " + error);
    result["gpu"] = device->name();
    result["hbm_gbps"] = gbps;
  }

  Bench bench;
  bench.random.seed(options.seed);
  char errbuf[1024];
  auto loadStart = Clock::now();
  if (tern_model_open(options.modelPath.c_str(), &bench.model, errbuf, sizeof errbuf) != TERN_OK)
    return fail(errbuf);
  result["load_s"] = std::chrono::duration<double>(Clock::now() - loadStart).count();
  tern_model_info(bench.model, &bench.info);
  result["hidden_size"] = bench.info.hidden_size;
  result["num_layers"] = bench.info.num_layers;
  result["vocab_size"] = bench.info.vocab_size;

  nlohmann::json prefill = nlohmann::json::object();
  for (int64_t n : options.prefillLengths) {
    double tokS = 0;
    if (!bench.prefill(n, 3, &tokS)) {
      tern_model_close(bench.model);
      return fail("prefill of " + std::to_string(n) + " tokens: " + bench.error);
    }
    prefill[std::to_string(n)] = tokS;
  }
  result["prefill_tok_s"] = prefill;

  double decodeTokS = 0;
  if (!bench.decode(1, options.decodeTokens, &decodeTokS)) {
    tern_model_close(bench.model);
    return fail("decode: " + bench.error);
  }
  result["decode_tokens"] = options.decodeTokens;
  result["decode_tok_s"] = decodeTokS;
  if (onCuda) {
    // The same steps with one launch setting switched off, the environment restored after.
    auto decodeWith = [&](const char *variable, double *tokS) {
      const char *before = std::getenv(variable);
      std::string saved = before ? before : "";
      setenv(variable, "0", 1);
      bool ok = bench.decode(1, options.decodeTokens, tokS);
      if (before) setenv(variable, saved.c_str(), 1);
      else unsetenv(variable);
      return ok;
    };
    auto switchedOn = [](const char *variable) {
      const char *value = std::getenv(variable);
      return !value || std::string(value) != "0";
    };
    // Without the CUDA graph: what replaying it saves in launch overhead.
    double eager = 0;
    if (!decodeWith("TERN_CUDA_GRAPH", &eager)) {
      tern_model_close(bench.model);
      return fail("decode without a graph: " + bench.error);
    }
    result["decode_graph"] = switchedOn("TERN_CUDA_GRAPH");
    result["decode_tok_s_without_graph"] = eager;
    // Without programmatic dependent launch, for artifacts compiled for it (sm_90).
    const nlohmann::json &target = manifest["target"];
    bool compiledFor = target.is_object() && target.value("dependent_launch", false);
    result["decode_dependent_launch"] = compiledFor && switchedOn("TERN_CUDA_DEPENDENT_LAUNCH");
    if (compiledFor) {
      double plain = 0;
      if (!decodeWith("TERN_CUDA_DEPENDENT_LAUNCH", &plain)) {
        tern_model_close(bench.model);
        return fail("decode without dependent launch: " + bench.error);
      }
      result["decode_tok_s_without_dependent_launch"] = plain;
    }
  } else {
    std::unique_ptr<ReadBandwidthMeter> meter;
    result.update(cpuBenchFacts(bench.model, options.modelPath, manifest, &meter));
    // Decode and the read ceiling in turns: a round of decode steps, then one read measurement.
    // Each round's ratio compares the two under the same load on a shared machine, where the
    // ratio of a decode run and a later read measurement drifts with the other tenants.
    nlohmann::json rounds = nlohmann::json::array();
    std::vector<double> ratios;
    const double bytes = bytesPerToken(manifest);
    double pairedTokS = 0;
    auto measureRead = [&](double tokS) {
      ReadBandwidth read = meter->measure(1);
      rounds.push_back({{"decode_tok_s", tokS}, {"read_gbps", read.best}});
      if (read.best > 0) ratios.push_back(tokS * bytes / 1e9 / read.best);
    };
    bool ok = meter->ok() && bench.decode(kPairedRounds, kPairedSteps, &pairedTokS, measureRead);
    if (!ok || ratios.empty()) {
      tern_model_close(bench.model);
      return fail("decode paired with read measurements: " +
                  (meter->ok() ? bench.error : std::string("cannot allocate the read buffer")));
    }
    std::sort(ratios.begin(), ratios.end());
    result["paired_rounds"] = rounds;
    result["paired_steps_per_round"] = kPairedSteps;
    result["fraction_of_read_paired"] = ratios[ratios.size() / 2];
  }
  nlohmann::json batches = nlohmann::json::object();
  for (int64_t size : options.batchSizes) {
    double stepSeconds = 0;
    if (!bench.decodeBatch(size, options.decodeTokens, &stepSeconds)) {
      tern_model_close(bench.model);
      return fail("batch decode of " + std::to_string(size) + " sequences: " + bench.error);
    }
    batches[std::to_string(size)] = {{"tok_s", double(size) / stepSeconds},
                                     {"step_ms", stepSeconds * 1e3}};
  }
  if (!options.batchSizes.empty()) result["decode_batch"] = batches;
  tern_model_close(bench.model);

  double bytes = bytesPerToken(manifest);
  result["bytes_per_token"] = bytes;
  result["effective_gbps"] = decodeTokS * bytes / 1e9;
  if (result.contains("hbm_gbps"))
    result["fraction_of_hbm"] = decodeTokS * bytes / 1e9 / result["hbm_gbps"].get<double>();
  if (result.contains("read_gbps") && result["read_gbps"].get<double>() > 0)
    result["fraction_of_read"] = decodeTokS * bytes / 1e9 / result["read_gbps"].get<double>();

  if (options.json) {
    std::printf("%s\n", result.dump().c_str());
    return 0;
  }
  std::printf("model            %s (%s)\n", options.modelPath.c_str(),
              onCuda ? result["gpu"].get<std::string>().c_str() : "cpu");
  for (auto &[n, tokS] : prefill.items())
    std::printf("prefill %-8s %.1f tok/s\n", n.c_str(), tokS.get<double>());
  std::printf("decode           %.1f tok/s (%.1f MB/token, %.1f GB/s effective)\n", decodeTokS,
              bytes / 1e6, decodeTokS * bytes / 1e9);
  if (result.contains("fraction_of_read"))
    std::printf("read ceiling     %.1f GB/s on %d threads (%s kernels); decode reaches %.1f%%\n",
                result["read_gbps"].get<double>(), result["threads"].get<int>(),
                result["isa"].get<std::string>().c_str(),
                100 * result["fraction_of_read"].get<double>());
  if (result.contains("fraction_of_read_paired"))
    std::printf("paired rounds    %zu x %lld decode steps, each followed by a read measurement; "
                "median decode / read %.1f%%\n",
                result["paired_rounds"].size(), (long long)kPairedSteps,
                100 * result["fraction_of_read_paired"].get<double>());
  for (int64_t size : options.batchSizes) {
    const nlohmann::json &b = batches[std::to_string(size)];
    std::printf("decode batch %-4lld %.1f tok/s (%.2f ms per step of %lld tokens)\n",
                static_cast<long long>(size), b["tok_s"].get<double>(), b["step_ms"].get<double>(),
                static_cast<long long>(size));
  }
  if (result.contains("decode_tok_s_without_dependent_launch"))
    std::printf("decode, plain launches %.1f tok/s (no programmatic dependent launch)\n",
                result["decode_tok_s_without_dependent_launch"].get<double>());
  if (onCuda)
    std::printf("decode, no graph %.1f tok/s\nhbm (d2d copy)   %.1f GB/s; decode reaches %.1f%%\n",
                result["decode_tok_s_without_graph"].get<double>(), result["hbm_gbps"].get<double>(),
                100 * result["fraction_of_hbm"].get<double>());
  return 0;
}

}  // namespace tern
