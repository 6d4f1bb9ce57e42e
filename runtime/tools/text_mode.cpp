#include "text_mode.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "tern/artifact.h"
#include "tokenizer.h"

namespace tern {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-run: error: %s\n", message.c_str());
  return 1;
}

// The same, for functions that return whether they succeeded.
bool failed(const std::string &message) {
  fail(message);
  return false;
}

// Tokens fed and the time it took, for the stats line.
struct Rate {
  size_t tokens = 0;
  double seconds = 0;
  std::string text() const {
    char buf[96];
    if (tokens == 0 || seconds <= 0)
      std::snprintf(buf, sizeof buf, "%zu tokens", tokens);
    else
      std::snprintf(buf, sizeof buf, "%zu tokens in %.3f ms (%.1f tok/s)", tokens, seconds * 1e3,
                    tokens / seconds);
    return buf;
  }
};

struct ModelCloser {
  void operator()(tern_model *m) const { tern_model_close(m); }
};
struct SessionDestroyer {
  void operator()(tern_session *s) const { tern_session_destroy(s); }
};

// One conversation with the model: its session (the recurrent state), sampler and output.
//
// Every sampled token is fed back before the next is sampled, except the last of a turn (the one
// that hit -n, or EOS): it is fed at the start of the next turn, so the state always covers every
// token printed. After EOS the next turn starts a new document with BOS, as in training
// (bos text eos bos text eos ...).
class Conversation {
 public:
  Conversation(tern_session *session, const Tokenizer &tokenizer, const tern_model_info_t &info,
               const TextModeOptions &options, std::FILE *out)
      : session_(session),
        tokenizer_(tokenizer),
        vocab_(static_cast<size_t>(info.vocab_size)),
        bos_(info.bos_token_id >= 0 ? info.bos_token_id : tokenizer.bosId()),
        eos_(info.eos_token_id >= 0 ? info.eos_token_id : tokenizer.eosId()),
        options_(options),
        sampler_(options.sampling, options.seed),
        logits_(vocab_),
        out_(out) {}

  // Feeds `text` (echoed to the output first when `echo`), then generates until EOS or -n tokens.
  bool turn(const std::string &text, bool echo) {
    std::vector<int32_t> ids, encoded;
    std::string why;
    if (!tokenizer_.encode(text, &encoded, &why)) return failed("prompt: " + why);
    if (pending_ >= 0) ids.push_back(static_cast<int32_t>(pending_));
    if (newDocument_ && bos_ >= 0) ids.push_back(static_cast<int32_t>(bos_));
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    if (ids.empty()) return failed("the prompt is empty and the model names no BOS token");
    for (size_t i = pending_ >= 0 ? 1 : 0; i < ids.size(); ++i) sampler_.observe(ids[i]);
    if (echo) {
      std::fputs(text.c_str(), out_);
      std::fflush(out_);
    }
    if (!forward(ids, &prompt_)) return false;
    pending_ = -1;
    newDocument_ = false;

    TextStream stream(tokenizer_, ids);
    for (int64_t step = 0; step < options_.maxNewTokens; ++step) {
      const int64_t token = sampler_.sample(logits_.data(), vocab_);
      if (token < 0) return failed("the logits for generated token " + std::to_string(step) + " are all NaN");
      if (token == eos_) {
        pending_ = token;
        newDocument_ = true;
        break;
      }
      std::fputs(stream.push(static_cast<int32_t>(token)).c_str(), out_);
      std::fflush(out_);
      if (step + 1 == options_.maxNewTokens) {
        pending_ = token;
        break;
      }
      if (!forward({static_cast<int32_t>(token)}, &decode_)) return false;
    }
    std::fputs(stream.finish().c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
    return true;
  }

  const Rate &prompt() const { return prompt_; }
  const Rate &decode() const { return decode_; }

 private:
  bool forward(const std::vector<int32_t> &ids, Rate *rate) {
    char errbuf[1024];
    const auto start = std::chrono::steady_clock::now();
    if (tern_session_forward(session_, ids.data(), ids.size(), TERN_LOGITS_LAST, logits_.data(),
                             errbuf, sizeof errbuf) != TERN_OK)
      return failed(errbuf);
    rate->seconds += secondsSince(start);
    rate->tokens += ids.size();
    return true;
  }

  tern_session *session_;
  const Tokenizer &tokenizer_;
  const size_t vocab_;
  const int64_t bos_, eos_;
  const TextModeOptions &options_;
  TokenSampler sampler_;
  std::vector<float> logits_;
  std::FILE *out_;
  int64_t pending_ = -1;     // sampled, printed (unless EOS), not yet fed
  bool newDocument_ = true;  // the next turn starts with BOS
  Rate prompt_, decode_;
};

bool readLine(std::FILE *in, std::string *line) {
  line->clear();
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') line->push_back(static_cast<char>(c));
  if (c == EOF && line->empty()) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace

tern_status openModelShowingProgress(const std::string &path, tern_model **model,
                                     double *loadSeconds, std::string *error) {
  const bool show = ::isatty(STDERR_FILENO);
  if (show) {
    struct stat st;
    const double megabytes = ::stat(path.c_str(), &st) == 0 ? st.st_size / 1e6 : 0.0;
    std::fprintf(stderr, "tern-run: loading %s (%.1f MB)...", path.c_str(), megabytes);
    std::fflush(stderr);
  }
  char errbuf[1024];
  const auto start = std::chrono::steady_clock::now();
  tern_status status = tern_model_open(path.c_str(), model, errbuf, sizeof errbuf);
  *loadSeconds = secondsSince(start);
  if (show) std::fputs("\r\033[K", stderr);  // the progress line goes away
  if (status != TERN_OK) *error = errbuf;
  return status;
}

int runTextMode(const TextModeOptions &options, std::FILE *in, std::FILE *out) {
  tern_model *rawModel = nullptr;
  double loadSeconds = 0;
  std::string error;
  if (openModelShowingProgress(options.modelPath, &rawModel, &loadSeconds, &error) != TERN_OK)
    return fail(error);
  std::unique_ptr<tern_model, ModelCloser> model(rawModel);
  tern_model_info_t info{};
  tern_model_info(model.get(), &info);

  const char *format = nullptr;
  const void *data = nullptr;
  size_t size = 0;
  tern_model_tokenizer(model.get(), &format, &data, &size);
  if (!format)
    return fail(options.modelPath +
                ": the model carries no tokenizer (ternc stores MODEL_DIR/tokenizer.model when the "
                "checkpoint has one); give token ids with --tokens instead");
  if (std::strcmp(format, kTokenizerSentencePiece) != 0)
    return fail(options.modelPath + ": tokenizer format \"" + format +
                "\" is not supported (this tern-run reads \"" + kTokenizerSentencePiece + "\")");
  std::string why;
  std::unique_ptr<Tokenizer> tokenizer =
      Tokenizer::fromSentencePiece(std::string_view(static_cast<const char *>(data), size), &why);
  if (!tokenizer) return fail(options.modelPath + ": tokenizer: " + why);
  if (tokenizer->vocabSize() > info.vocab_size)
    return fail(options.modelPath + ": the tokenizer has " + std::to_string(tokenizer->vocabSize()) +
                " pieces, more than the model's vocabulary of " + std::to_string(info.vocab_size));

  tern_session *rawSession = nullptr;
  if (tern_session_create(model.get(), &rawSession) != TERN_OK) return fail("cannot create a session");
  std::unique_ptr<tern_session, SessionDestroyer> session(rawSession);

  Conversation conversation(session.get(), *tokenizer, info, options, out);
  if (options.havePrompt && !conversation.turn(options.prompt, /*echo=*/true)) return 1;
  if (options.interactive) {
    const bool prompting = ::isatty(::fileno(in));
    std::string line;
    while (true) {
      if (prompting) std::fputs("> ", stderr);
      if (!readLine(in, &line)) break;
      if (!conversation.turn(line, /*echo=*/false)) return 1;
    }
  }
  std::fprintf(stderr, "tern-run: load %.1f ms; prompt %s; decode %s\n", loadSeconds * 1e3,
               conversation.prompt().text().c_str(), conversation.decode().text().c_str());
  return 0;
}

}  // namespace tern
