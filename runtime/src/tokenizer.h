// Text <-> token ids for tern-run, through the distribution's libsentencepiece. The model's bytes
// are what `ternc` copied from the checkpoint's tokenizer.model into the artifact.
#ifndef TERN_RUNTIME_TOKENIZER_H
#define TERN_RUNTIME_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace tern {

class Tokenizer {
 public:
  // Loads a serialized SentencePiece model (the bytes of a tokenizer.model). On failure returns
  // nullptr and sets *why (without a path prefix).
  static std::unique_ptr<Tokenizer> fromSentencePiece(std::string_view modelBytes, std::string *why);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  int64_t vocabSize() const;
  // -1 when the model defines none.
  int64_t bosId() const;
  int64_t eosId() const;

  // Ids of `text` without BOS/EOS (the caller adds them). False and *why on failure.
  bool encode(std::string_view text, std::vector<int32_t> *ids, std::string *why) const;
  // Text of `ids`; control ids (BOS, EOS) decode to nothing, byte pieces to their bytes.
  std::string decode(const std::vector<int32_t> &ids) const;

 private:
  Tokenizer();
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

// Turns generated ids into text as they come, so it can be printed while the model runs. Each push
// returns the text not returned before: decode(context + ids so far) minus what was already given
// out. The context (e.g. the prompt's ids) makes the first piece decode as it would mid-sentence (a
// SentencePiece "▁word" keeps its space). A trailing U+FFFD, which is what a byte-fallback piece of
// an unfinished UTF-8 character decodes to, is held back until the character completes or finish().
class TextStream {
 public:
  TextStream(const Tokenizer &tokenizer, std::vector<int32_t> context);
  std::string push(int32_t id);
  std::string finish();  // what is still held back

 private:
  std::string pending(bool holdBackIncomplete);

  const Tokenizer &tokenizer_;
  std::vector<int32_t> ids_;
  size_t given_ = 0;  // bytes of decode(ids_) already returned (the context's included)
};

}  // namespace tern

#endif  // TERN_RUNTIME_TOKENIZER_H
