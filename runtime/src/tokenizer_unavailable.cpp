// tokenizer.h for builds without libsentencepiece (cross builds: Debian's arm64 libsentencepiece
// cannot be installed beside the amd64 one). Loading a tokenizer fails with a message that says so;
// token-id modes, which the tests use, need no tokenizer.
#include "tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor {};
}  // namespace sentencepiece

namespace tern {

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::fromSentencePiece(std::string_view, std::string *why) {
  *why = "this tern-run was built without SentencePiece, so it cannot tokenize text "
         "(use --tokens)";
  return nullptr;
}

// Unreachable: no Tokenizer is ever made.
int64_t Tokenizer::vocabSize() const { return 0; }
int64_t Tokenizer::bosId() const { return -1; }
int64_t Tokenizer::eosId() const { return -1; }
bool Tokenizer::encode(std::string_view, std::vector<int32_t> *, std::string *why) const {
  *why = "no tokenizer";
  return false;
}
std::string Tokenizer::decode(const std::vector<int32_t> &) const { return {}; }

TextStream::TextStream(const Tokenizer &tokenizer, std::vector<int32_t> context)
    : tokenizer_(tokenizer), ids_(std::move(context)) {}
std::string TextStream::push(int32_t id) {
  ids_.push_back(id);
  return {};
}
std::string TextStream::finish() { return {}; }
std::string TextStream::pending(bool) { return {}; }

}  // namespace tern
