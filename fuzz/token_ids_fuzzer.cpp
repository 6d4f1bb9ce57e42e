// Token-id text (tern-run --tokens and --ppl files) -> parseTokenIds and
// checkTokenIds (runtime/src/token_list.cpp).
//
// Oracle: no crash; accepted text prints back ("a,b,c") to the same ids, and
// the range check agrees with a direct comparison.
#include "token_list.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "token-ids fuzzer: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::vector<int64_t> ids;
  std::string error;
  if (!tern::parseTokenIds(text, &ids, &error)) {
    check(!error.empty(), "a refusal says why");
    return 0;
  }
  std::string printed;
  for (size_t i = 0; i < ids.size(); ++i) printed += (i ? "," : "") + std::to_string(ids[i]);
  std::vector<int64_t> again;
  check(tern::parseTokenIds(printed, &again, &error), "printed ids parse again");
  check(again == ids, "printed ids parse to the same ids");

  const int64_t vocab = 1000;
  bool inRange = true;
  for (int64_t id : ids) inRange = inRange && id >= 0 && id < vocab;
  check(tern::checkTokenIds(ids, vocab, &error) == inRange, "range check is exact");
  return 0;
}
