#include "tokenizer.h"

#include <sentencepiece_processor.h>

namespace tern {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

}  // namespace

Tokenizer::Tokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::fromSentencePiece(std::string_view modelBytes,
                                                        std::string *why) {
  if (modelBytes.empty()) {
    *why = "the tokenizer is empty";
    return nullptr;
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  const auto status = tokenizer->processor_->LoadFromSerializedProto(
      std::string(modelBytes.data(), modelBytes.size()));
  if (!status.ok()) {
    *why = "not a SentencePiece model: " + status.ToString();
    return nullptr;
  }
  return tokenizer;
}

int64_t Tokenizer::vocabSize() const { return processor_->GetPieceSize(); }
int64_t Tokenizer::bosId() const { return processor_->bos_id(); }
int64_t Tokenizer::eosId() const { return processor_->eos_id(); }

bool Tokenizer::encode(std::string_view text, std::vector<int32_t> *ids, std::string *why) const {
  std::vector<int> pieces;
  const auto status = processor_->Encode(std::string(text.data(), text.size()), &pieces);
  if (!status.ok()) {
    *why = "cannot tokenize: " + status.ToString();
    return false;
  }
  ids->assign(pieces.begin(), pieces.end());
  return true;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids) const {
  std::vector<int> pieces(ids.begin(), ids.end());
  std::string text;
  // Out-of-range ids are the only failure; the runtime never produces one (ids < vocab_size and
  // tern-run checks the tokenizer's size against the model's).
  processor_->Decode(pieces, &text).IgnoreError();
  return text;
}

TextStream::TextStream(const Tokenizer &tokenizer, std::vector<int32_t> context)
    : tokenizer_(tokenizer), ids_(std::move(context)) {
  given_ = tokenizer_.decode(ids_).size();
}

std::string TextStream::push(int32_t id) {
  ids_.push_back(id);
  return pending(true);
}

std::string TextStream::finish() { return pending(false); }

std::string TextStream::pending(bool holdBackIncomplete) {
  const std::string text = tokenizer_.decode(ids_);
  size_t end = text.size();
  if (holdBackIncomplete) {
    while (end >= given_ + kReplacementCharacter.size() &&
           std::string_view(text).substr(end - kReplacementCharacter.size(), kReplacementCharacter.size()) ==
               kReplacementCharacter)
      end -= kReplacementCharacter.size();
  }
  if (end <= given_) return "";
  std::string fresh = text.substr(given_, end - given_);
  given_ = end;
  return fresh;
}

}  // namespace tern
