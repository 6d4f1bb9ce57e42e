// tern-run: runs a compiled `.tern` model through the runtime's C API (docs/runtime.md).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "npy.h"
#include "sampler.h"
#include "tern/artifact.h"
#include "tern/runtime.h"
#include "batch_mode.h"
#include "bench_mode.h"
#include "function_mode.h"
#include "text_mode.h"
#include "token_list.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
// Perplexity runs the file through prefill in chunks of this many tokens, carrying the state, so the
// [chunk, V] logits buffer stays bounded however long the file is.
constexpr size_t kPerplexityChunk = 512;

const char kHelp[] =
    "usage: tern-run MODEL.tern [options]\n"
    "       (an executable made by 'ternc --emit=exe' takes the same options, without MODEL.tern;\n"
    "       without -p, --tokens or --ppl, it runs -i)\n"
    "\n"
    "Runs a model compiled by ternc. Text modes (the model must carry a tokenizer):\n"
    "  -p TEXT               generate a continuation of TEXT, printed as it is produced, until EOS\n"
    "                        or -n tokens; BOS goes first. -p \"\" starts from BOS alone\n"
    "  -i                    interactive: each line of stdin is a turn, answered the same way; the\n"
    "                        model's state carries over from turn to turn (with -p: after it)\n"
    "  -n N                  tokens to generate per prompt or turn at most (default 256)\n"
    "  --temperature T       default 0.8 in text modes (0 = greedy)\n"
    "  --top-k K             sample from the K most likely tokens (default 40 in text modes; 0 = all)\n"
    "  --top-p P             ...and from the fewest whose probabilities add up to P (default 0.95\n"
    "                        in text modes; 1 = all)\n"
    "  --repeat-penalty R    divide the (positive) logits of the last 64 tokens by R (default 1.1 in\n"
    "                        text modes; 1 = off)\n"
    "  --seed S              the same seed, prompt and options give the same text (default 0)\n"
    "  A stats line (load, prompt and decode tok/s) goes to stderr at the end.\n"
    "\n"
    "Token-id modes:\n"
    "  --tokens IDS --logits-out FILE.npy\n"
    "        run prefill over IDS and write the logits as float32 .npy of shape [T, V]\n"
    "  --tokens IDS --max-new-tokens N [--temperature T] [--seed S]\n"
    "        prefill IDS, then generate N tokens one at a time, feeding each back; print the\n"
    "        generated ids on one line of stdout, comma-separated (may be combined with\n"
    "        --logits-out, which then holds the prefill logits)\n"
    "  --tokens IDS --tokens IDS [--tokens IDS ...] --logits-out FILE.npy\n"
    "        batch decode: the sequences (all of one length T) run in lock-step through the\n"
    "        model's batch decode, one step per position with one token of every sequence;\n"
    "        writes the logits as float32 .npy of shape [B, T, V] (B = number of --tokens).\n"
    "        Each sequence's logits equal those of decoding it alone (--decode-steps)\n"
    "  --ppl FILE\n"
    "        perplexity of the token ids in FILE (the model predicts each id from the ones before\n"
    "        it; no BOS is added), printed as \"perplexity: P (N tokens)\", N = ids scored;\n"
    "        runs alone (not with --tokens, --logits-out or --max-new-tokens)\n"
    "\n"
    "Compiled MLIR functions (ternc graph.mlir -o graph.tern):\n"
    "  --function NAME --input A.npy [--input B.npy ...] --output-dir DIR\n"
    "        call function NAME with one .npy per argument (f32, f64, i8, i16, i32, i64) and\n"
    "        write its results as DIR/0.npy, DIR/1.npy, ... (one line per result on stdout)\n"
    "\n"
    "Benchmark:\n"
    "  --bench [--json] [--batch N[,N...]]\n"
    "        prefill (128 and 512 tokens) and decode (64 tokens) speed, bytes per token, effective\n"
    "        GB/s and, on a GPU, the device-to-device copy rate measured in the same run (hbm_gbps);\n"
    "        --json prints one JSON object. --batch N (N >= 1; a comma list for several) then\n"
    "        times 64 batch-decode steps of N sequences each (after 8 warm-up steps): total\n"
    "        tokens/s over all sequences and ms per step (JSON: \"decode_batch\": {\"N\":\n"
    "        {\"tok_s\", \"step_ms\"}})\n"
    "\n"
    "Options:\n"
    "  --device D            cpu, cuda or cuda:N (GPU N); must match the artifact's target, which\n"
    "                        picks the device when --device is not given\n"
    "  --threads N           CPU: threads the kernels split rows over (default: one per CPU)\n"
    "  --isa NAME            CPU: kernel instruction set: avx512_vnni, avx2, arm_dotprod or\n"
    "                        generic (default: the best this CPU has)\n"
    "  --tokens IDS          token ids separated by commas, e.g. 5,17,42\n"
    "  --logits-out FILE     where to write the prefill logits (.npy, float32, [T, V])\n"
    "  --max-new-tokens N    number of tokens to generate (N >= 0)\n"
    "  --temperature T       sampling temperature; 0 (the default) is greedy (argmax, ties to the\n"
    "                        lowest id)\n"
    "  --seed S              seed for sampling at T > 0 (default 0); the same seed gives the same\n"
    "                        tokens\n"
    "  --decode-steps        with --logits-out: feed the tokens one decode step at a time\n"
    "                        instead of one prefill (the logits must be the same)\n"
    "  --ppl FILE            token ids separated by whitespace and/or commas\n"
    "  -n N                  the same as --max-new-tokens N\n"
    "  --top-k, --top-p, --repeat-penalty\n"
    "                        as in text modes, with --max-new-tokens (default: off)\n"
    "  --help                print this help and exit\n"
    "  --version             print the version and exit\n"
    "Options take their value as the next argument or after '=' (--seed=7).\n"
    "\n"
    "A timing line (load, prefill and decode tok/s) goes to stderr at the end.\n"
    "Exit status: 0 success, 1 error (bad token ids, unreadable or invalid model, I/O), 2 usage error.\n";

struct Options {
  std::string modelPath;
  bool haveTokens = false;
  std::string tokensText;
  std::vector<std::string> tokenLists;  // every --tokens; more than one: batch decode
  std::string logitsOut;
  bool generate = false;
  int64_t maxNewTokens = 0;
  bool haveTemperature = false;
  double temperature = 0;
  bool haveSeed = false;
  uint64_t seed = 0;
  std::string pplFile;
  bool decodeSteps = false;
  // Text modes (text_mode.h) and the sampling filters.
  bool havePrompt = false;
  std::string prompt;
  bool interactive = false;
  bool haveTopK = false, haveTopP = false, haveRepeatPenalty = false;
  int64_t topK = 0;
  double topP = 1, repeatPenalty = 1;
  // Benchmark (bench_mode.h) and the device.
  bool bench = false, json = false;
  std::vector<int64_t> batchSizes;  // --batch
  std::string device;
  // The CPU kernels' ISA and thread count (TERN_ISA, TERN_THREADS; docs/runtime.md).
  std::string isa, threads;
  // Function mode (function_mode.h).
  std::string function;
  std::vector<std::string> inputs;
  std::string outputDir;
};

// Thrown only inside argument parsing, caught in main: usage errors exit with status 2.
struct UsageError {
  std::string message;
};

int64_t parseCount(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < 0)
    throw UsageError{flag + " takes a non-negative integer, got \"" + text + "\""};
  return value;
}

uint64_t parseSeed(const std::string &text) {
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE)
    throw UsageError{"--seed takes an unsigned integer, got \"" + text + "\""};
  return value;
}

double parseTemperature(const std::string &text) {
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0)
    throw UsageError{"--temperature takes a finite number >= 0, got \"" + text + "\""};
  return value;
}

// A finite number in (0, max], for --top-p and --repeat-penalty.
double parsePositive(const std::string &flag, const std::string &text, double max) {
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value <= 0 || value > max)
    throw UsageError{flag + " takes a number in (0, " + (std::isinf(max) ? "inf" : "1") + "], got \"" +
                     text + "\""};
  return value;
}

// --batch: "8" or "8,32"; each size >= 1.
std::vector<int64_t> parseBatchSizes(const std::string &text) {
  std::vector<int64_t> sizes;
  size_t begin = 0;
  while (true) {
    size_t comma = text.find(',', begin);
    std::string item =
        text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    char *end = nullptr;
    errno = 0;
    long long value = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || value < 1 || value > (1 << 20))
      throw UsageError{"--batch takes batch sizes from 1 to 1048576 separated by commas, got \"" +
                       text + "\""};
    sizes.push_back(value);
    if (comma == std::string::npos) return sizes;
    begin = comma + 1;
  }
}

// `bundled`: this executable carries its model (ternc --emit=exe), so no MODEL.tern is given.
Options parseArguments(int argc, char **argv, bool bundled, bool *exitNow) {
  Options options;
  std::vector<std::string> positional;
  bool optionsEnded = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      optionsEnded = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      *exitNow = true;
      return options;
    }
    if (arg == "--version") {
      std::printf("tern-run %s (artifact format %u, ABI %s)\n", tern_runtime_version(),
                  tern::kArtifactFormatVersion, tern::kArtifactAbi);
      *exitNow = true;
      return options;
    }
    std::string flag = arg, value;
    bool inlineValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inlineValue = true;
    }
    auto takeValue = [&]() {
      if (inlineValue) return value;
      if (i + 1 >= argc) throw UsageError{flag + " needs a value"};
      return std::string(argv[++i]);
    };
    if (flag == "--tokens") {
      options.haveTokens = true;
      options.tokensText = takeValue();
      options.tokenLists.push_back(options.tokensText);
    } else if (flag == "--logits-out") {
      options.logitsOut = takeValue();
      if (options.logitsOut.empty()) throw UsageError{"--logits-out needs a file name"};
    } else if (flag == "-p" || flag == "--prompt") {
      options.havePrompt = true;
      options.prompt = takeValue();
    } else if (flag == "-i" || flag == "--interactive") {
      options.interactive = true;
    } else if (flag == "--top-k") {
      options.haveTopK = true;
      options.topK = parseCount(flag, takeValue());
    } else if (flag == "--top-p") {
      options.haveTopP = true;
      options.topP = parsePositive(flag, takeValue(), 1);
    } else if (flag == "--repeat-penalty") {
      options.haveRepeatPenalty = true;
      options.repeatPenalty = parsePositive(flag, takeValue(), HUGE_VAL);
    } else if (flag == "--max-new-tokens" || flag == "-n") {
      options.generate = true;
      options.maxNewTokens = parseCount(flag, takeValue());
    } else if (flag == "--temperature") {
      options.haveTemperature = true;
      options.temperature = parseTemperature(takeValue());
    } else if (flag == "--seed") {
      options.haveSeed = true;
      options.seed = parseSeed(takeValue());
    } else if (flag == "--decode-steps") {
      options.decodeSteps = true;
    } else if (flag == "--ppl") {
      options.pplFile = takeValue();
      if (options.pplFile.empty()) throw UsageError{"--ppl needs a file name"};
    } else if (flag == "--bench") {
      options.bench = true;
    } else if (flag == "--json") {
      options.json = true;
    } else if (flag == "--batch") {
      options.batchSizes = parseBatchSizes(takeValue());
    } else if (flag == "--device") {
      options.device = takeValue();
      const std::string &d = options.device;
      bool ordinal = d.size() > 5 && d.compare(0, 5, "cuda:") == 0 &&
                     d.find_first_not_of("0123456789", 5) == std::string::npos;
      if (d != "cpu" && d != "cuda" && !ordinal)
        throw UsageError{"--device takes cpu, cuda or cuda:N, got \"" + d + "\""};
    } else if (flag == "--threads") {
      options.threads = std::to_string(parseCount(flag, takeValue()));
    } else if (flag == "--isa") {
      options.isa = takeValue();
      if (options.isa.empty()) throw UsageError{"--isa needs a name"};
    } else if (flag == "--function") {
      options.function = takeValue();
      if (options.function.empty()) throw UsageError{"--function needs a name"};
    } else if (flag == "--input") {
      options.inputs.push_back(takeValue());
    } else if (flag == "--output-dir") {
      options.outputDir = takeValue();
      if (options.outputDir.empty()) throw UsageError{"--output-dir needs a directory"};
    } else {
      throw UsageError{"unknown option \"" + flag + "\""};
    }
  }

  if (bundled) {
    if (!positional.empty())
      throw UsageError{"unexpected argument \"" + positional[0] +
                       "\" (this program carries its model)"};
    options.modelPath = "/proc/self/exe";
    if (!options.havePrompt && !options.haveTokens && options.pplFile.empty() &&
        options.logitsOut.empty() && !options.bench && options.function.empty())
      options.interactive = true;  // ./mymodel [sampling options]: a conversation
  } else {
    if (positional.empty()) throw UsageError{"no model given (tern-run MODEL.tern ...)"};
    if (positional.size() > 1) throw UsageError{"unexpected argument \"" + positional[1] + "\""};
    options.modelPath = positional[0];
  }
  if (options.bench) {
    if (!options.function.empty() || options.havePrompt || options.interactive ||
        options.haveTokens || options.generate || !options.logitsOut.empty() ||
        !options.pplFile.empty())
      throw UsageError{"--bench runs alone (with --json, --batch and --device)"};
    return options;
  }
  if (options.json) throw UsageError{"--json goes with --bench"};
  if (!options.batchSizes.empty()) throw UsageError{"--batch goes with --bench"};
  if (!options.function.empty() || !options.inputs.empty() || !options.outputDir.empty()) {
    if (options.function.empty() || options.outputDir.empty())
      throw UsageError{"--function, --input and --output-dir go together (--input once per argument)"};
    if (options.havePrompt || options.interactive || options.haveTokens || options.generate ||
        !options.logitsOut.empty() || !options.pplFile.empty())
      throw UsageError{"--function runs alone (not with text or token-id modes)"};
    return options;
  }
  if (options.havePrompt || options.interactive) {
    if (options.haveTokens || !options.logitsOut.empty() || !options.pplFile.empty() || options.decodeSteps)
      throw UsageError{"-p and -i take text: not with --tokens, --logits-out, --ppl or --decode-steps"};
    return options;
  }
  if (options.tokenLists.size() > 1) {
    if (options.logitsOut.empty() || options.generate || options.decodeSteps ||
        !options.pplFile.empty())
      throw UsageError{"--tokens given more than once runs a batch decode: it takes --logits-out, "
                       "and not --max-new-tokens, --decode-steps or --ppl"};
    return options;
  }
  const bool perplexity = !options.pplFile.empty();
  const bool prefillMode = !options.logitsOut.empty() || options.generate;
  if (perplexity && (prefillMode || options.haveTokens))
    throw UsageError{"--ppl cannot be combined with --tokens, --logits-out or --max-new-tokens"};
  if (!perplexity && !prefillMode)
    throw UsageError{"nothing to do: give --logits-out, --max-new-tokens or --ppl"};
  if (prefillMode && !options.haveTokens)
    throw UsageError{"--logits-out and --max-new-tokens need --tokens"};
  if (options.decodeSteps && options.logitsOut.empty())
    throw UsageError{"--decode-steps applies only with --logits-out"};
  if ((options.haveTemperature || options.haveSeed || options.haveTopK || options.haveTopP ||
       options.haveRepeatPenalty) && !options.generate)
    throw UsageError{"--temperature, --seed, --top-k, --top-p and --repeat-penalty apply only with "
                     "--max-new-tokens, -p or -i"};
  return options;
}

// Accumulates wall time per kind of forward call, for the closing timing line.
struct Timing {
  double loadSeconds = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
  size_t prefillTokens = 0, decodeTokens = 0;

  std::string rate(size_t tokens, double seconds) const {
    char buf[96];
    if (tokens == 0 || seconds <= 0)
      std::snprintf(buf, sizeof buf, "%zu tokens", tokens);
    else
      std::snprintf(buf, sizeof buf, "%zu tokens in %.3f ms (%.1f tok/s)", tokens, seconds * 1e3,
                    tokens / seconds);
    return buf;
  }
  void print() const {
    std::fprintf(stderr, "tern-run: load %.1f ms; prefill %s; decode %s\n", loadSeconds * 1e3,
                 rate(prefillTokens, prefillSeconds).c_str(),
                 rate(decodeTokens, decodeSeconds).c_str());
  }
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Everything after argument parsing: errors here exit with status 1.
class Runner {
 public:
  explicit Runner(const Options &options) : options_(options) {}
  ~Runner() {
    tern_session_destroy(session_);
    tern_model_close(model_);
  }

  int run() {
    std::vector<int64_t> ids;
    std::string error;
    if (options_.haveTokens) {
      if (!tern::parseTokenIds(options_.tokensText, &ids, &error)) return fail("--tokens: " + error);
      if (ids.empty()) return fail("--tokens: no token ids given");
    } else {
      // readTokenIdFile applies the size limits of docs/hardening.md before reading.
      if (!tern::readTokenIdFile(options_.pplFile, &ids, &error)) return fail(error);
      if (ids.size() < 2)
        return fail(options_.pplFile + ": perplexity needs at least 2 token ids, found " +
                    std::to_string(ids.size()));
    }

    if (tern::openModelShowingProgress(options_.modelPath, &model_, &timing_.loadSeconds, &error) !=
        TERN_OK)
      return fail(error);
    if (tern_model_function_count(model_) > 0)
      return fail(options_.modelPath + " holds compiled functions (kind \"mlir\"), not a model: "
                  "call one with --function NAME");
    tern_model_info(model_, &info_);
    if (tern_session_create(model_, &session_) != TERN_OK) return fail("cannot create a session");
    if (!tern::checkTokenIds(ids, info_.vocab_size, &error))
      return fail((options_.haveTokens ? "--tokens: " : options_.pplFile + ": ") + error);
    ids_.assign(ids.begin(), ids.end());  // in range, so they fit int32

    int status = options_.haveTokens ? runPrompt() : runPerplexity();
    if (status == kExitOk) timing_.print();
    return status;
  }

 private:
  int fail(const std::string &message) {
    std::fprintf(stderr, "tern-run: error: %s\n", message.c_str());
    return kExitError;
  }

  bool forward(const int32_t *ids, size_t n, tern_logits which, float *logits) {
    char errbuf[1024];
    auto start = std::chrono::steady_clock::now();
    tern_status status = tern_session_forward(session_, ids, n, which, logits, errbuf, sizeof errbuf);
    double seconds = secondsSince(start);
    if (status != TERN_OK) {
      fail(errbuf);
      return false;
    }
    (n > 1 ? timing_.prefillSeconds : timing_.decodeSeconds) += seconds;
    (n > 1 ? timing_.prefillTokens : timing_.decodeTokens) += n;
    return true;
  }

  // --logits-out and/or --max-new-tokens over --tokens.
  int runPrompt() {
    const size_t T = ids_.size(), V = static_cast<size_t>(info_.vocab_size);
    const bool wantAll = !options_.logitsOut.empty();
    std::vector<float> logits(wantAll ? T * V : V);
    if (options_.decodeSteps) {
      // One decode call per token: must give what one prefill gives.
      for (size_t t = 0; t < T; ++t)
        if (!forward(ids_.data() + t, 1, TERN_LOGITS_ALL, logits.data() + t * V))
          return kExitError;
    } else if (!forward(ids_.data(), T, wantAll ? TERN_LOGITS_ALL : TERN_LOGITS_LAST,
                        logits.data())) {
      return kExitError;
    }
    if (wantAll) {
      std::string error;
      if (!tern::writeNpyFloat32(options_.logitsOut, logits.data(),
                                 {static_cast<int64_t>(T), static_cast<int64_t>(V)}, &error))
        return fail(error);
    }
    if (!options_.generate) return kExitOk;

    const float *row = logits.data() + (wantAll ? (T - 1) * V : 0);
    tern::SamplingOptions sampling;
    sampling.temperature = options_.temperature;
    sampling.topK = options_.topK;
    sampling.topP = options_.topP;
    sampling.repeatPenalty = options_.repeatPenalty;
    tern::TokenSampler sampler(sampling, options_.seed);
    for (int32_t id : ids_) sampler.observe(id);
    std::vector<float> next(V);
    for (int64_t step = 0; step < options_.maxNewTokens; ++step) {
      int64_t token = sampler.sample(row, V);
      if (token < 0) {
        std::fputc('\n', stdout);
        return fail("the logits for generated token " + std::to_string(step) + " are all NaN");
      }
      // Streamed, so a long generation shows progress; still one line in the end.
      std::printf(step ? ",%" PRId64 : "%" PRId64, token);
      std::fflush(stdout);
      if (step + 1 == options_.maxNewTokens) break;  // the last token need not be fed back
      const int32_t fed = static_cast<int32_t>(token);
      if (!forward(&fed, 1, TERN_LOGITS_LAST, next.data())) {
        std::fputc('\n', stdout);
        return kExitError;
      }
      row = next.data();
    }
    std::fputc('\n', stdout);
    std::fflush(stdout); // before the timing line on stderr
    return kExitOk;
  }

  // Scores ids[1..N) given their prefixes: the inputs are ids[0..N-1), in chunks with the state
  // carried across, and the NLL sums in double.
  int runPerplexity() {
    const size_t V = static_cast<size_t>(info_.vocab_size);
    const size_t inputs = ids_.size() - 1;
    std::vector<float> logits(std::min(inputs, kPerplexityChunk) * V);
    double nll = 0;
    for (size_t begin = 0; begin < inputs; begin += kPerplexityChunk) {
      const size_t n = std::min(kPerplexityChunk, inputs - begin);
      if (!forward(ids_.data() + begin, n, TERN_LOGITS_ALL, logits.data())) return kExitError;
      for (size_t j = 0; j < n; ++j) {
        const float *row = logits.data() + j * V;
        double maxLogit = -std::numeric_limits<double>::infinity();
        for (size_t v = 0; v < V; ++v) maxLogit = std::max(maxLogit, double(row[v]));
        double sum = 0;
        for (size_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - maxLogit);
        nll += maxLogit + std::log(sum) - double(row[ids_[begin + j + 1]]);
      }
    }
    std::printf("perplexity: %.6f (%d tokens)\n", std::exp(nll / double(inputs)),
                static_cast<int>(inputs));
    return kExitOk;
  }

  const Options &options_;
  tern_model *model_ = nullptr;
  tern_session *session_ = nullptr;
  tern_model_info_t info_{};
  std::vector<int32_t> ids_;
  Timing timing_;
};

}  // namespace

// Text modes: the sampling defaults suit text (a tiny model repeats itself when greedy).
tern::TextModeOptions textModeOptions(const Options &options) {
  tern::TextModeOptions text;
  text.modelPath = options.modelPath;
  text.havePrompt = options.havePrompt;
  text.prompt = options.prompt;
  text.interactive = options.interactive;
  if (options.generate) text.maxNewTokens = options.maxNewTokens;
  text.sampling.temperature = options.haveTemperature ? options.temperature : 0.8;
  text.sampling.topK = options.haveTopK ? options.topK : 40;
  text.sampling.topP = options.haveTopP ? options.topP : 0.95;
  text.sampling.repeatPenalty = options.haveRepeatPenalty ? options.repeatPenalty : 1.1;
  text.seed = options.seed;
  return text;
}

int main(int argc, char **argv) {
  Options options;
  try {
    bool exitNow = false;
    options = parseArguments(argc, argv, tern::hasBundledArtifact("/proc/self/exe"), &exitNow);
    if (exitNow) return kExitOk;
  } catch (const UsageError &e) {
    std::fprintf(stderr, "tern-run: error: %s\nTry 'tern-run --help'.\n", e.message.c_str());
    return kExitUsage;
  }
  // The runtime reads the device from TERN_DEVICE (it must agree with the artifact's target).
  if (!options.device.empty()) setenv("TERN_DEVICE", options.device.c_str(), 1);
  // Likewise the CPU kernels' ISA and threads, for every mode.
  if (!options.isa.empty()) setenv("TERN_ISA", options.isa.c_str(), 1);
  if (!options.threads.empty()) setenv("TERN_THREADS", options.threads.c_str(), 1);
  if (options.bench) {
    tern::BenchModeOptions bench;
    bench.modelPath = options.modelPath;
    bench.json = options.json;
    bench.seed = options.seed;
    bench.batchSizes = options.batchSizes;
    return tern::runBenchMode(bench);
  }
  if (!options.function.empty())
    return tern::runFunctionMode({options.modelPath, options.function, options.inputs, options.outputDir});
  if (options.havePrompt || options.interactive)
    return tern::runTextMode(textModeOptions(options), stdin, stdout);
  if (options.tokenLists.size() > 1)
    return tern::runBatchMode({options.modelPath, options.tokenLists, options.logitsOut});
  return Runner(options).run();
}
