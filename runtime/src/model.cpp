#include "model.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>

namespace tern {
namespace {

std::string baseName(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shapeText(const FloatMemRef2 &m) {
  return "[" + std::to_string(m.sizes[0]) + ", " + std::to_string(m.sizes[1]) + "]";
}

// A byte range the runtime owns and passed to the generated code.
struct CallerMemory {
  const void *begin;
  const void *end;
  bool contains(const void *p) const {
    return std::less_equal<const void *>()(begin, p) && std::less<const void *>()(p, end);
  }
};

// Frees the result buffers the generated code malloc'd, exactly once each and on every path. A
// pointer into memory the runtime passed in (weights, ids, state) is never freed: returning one
// breaks the ABI, and freeing it would corrupt the heap or crash.
class ResultBuffers {
 public:
  ResultBuffers(EntryPointResults &results, std::array<CallerMemory, 3> callerMemory)
      : results_(results), callerMemory_(callerMemory) {}
  ~ResultBuffers() {
    void *logits = results_.logits.allocated;
    void *state = results_.state.allocated;
    if (logits && !ownedByCaller(logits)) std::free(logits);
    if (state && state != logits && !ownedByCaller(state)) std::free(state);
  }
  bool ownedByCaller(const void *p) const {
    for (const CallerMemory &range : callerMemory_)
      if (range.contains(p)) return true;
    return false;
  }

 private:
  EntryPointResults &results_;
  std::array<CallerMemory, 3> callerMemory_;
};

// Copies rows [rowBegin, rowBegin + rowCount) of a 2-D memref into a dense row-major buffer,
// honouring its offset and strides (identity layouts take the memcpy path).
void copyRows(const FloatMemRef2 &m, int64_t rowBegin, int64_t rowCount, float *dst) {
  const int64_t cols = m.sizes[1];
  const float *base = m.aligned + m.offset;
  if (m.strides[1] == 1 && (m.strides[0] == cols || rowCount == 1)) {
    std::memcpy(dst, base + rowBegin * m.strides[0], sizeof(float) * rowCount * cols);
    return;
  }
  for (int64_t r = 0; r < rowCount; ++r)
    for (int64_t c = 0; c < cols; ++c)
      dst[r * cols + c] = base[(rowBegin + r) * m.strides[0] + c * m.strides[1]];
}

}  // namespace

std::shared_ptr<const Model> Model::open(const std::string &path, std::string *error) {
  std::shared_ptr<Model> model(new Model());
  model->artifact_ = ArtifactFile::open(path, error);
  if (!model->artifact_) return nullptr;
  const ArtifactFile &artifact = *model->artifact_;
  std::string why;
  model->code_ = InMemorySharedObject::load("tern:" + baseName(path), artifact.code(),
                                            artifact.codeSize(), &why);
  if (!model->code_) {
    *error = path + ": " + why;
    return nullptr;
  }
  void *prefill = model->code_->symbol(artifact.manifest().prefillSymbol, &why);
  void *decode = prefill ? model->code_->symbol(artifact.manifest().decodeSymbol, &why) : nullptr;
  if (!prefill || !decode) {
    *error = path + ": " + why;
    return nullptr;
  }
  // dlsym returns object pointers; POSIX guarantees they convert to function pointers.
  model->prefill_ = reinterpret_cast<EntryPoint>(prefill);
  model->decode_ = reinterpret_cast<EntryPoint>(decode);
  return model;
}

RunOutcome Model::run(const int32_t *ids, size_t n, std::vector<float> &state,
                      LogitsWanted wanted, float *logitsOut, std::string *error) const {
  const ArtifactManifest &m = manifest();
  const int64_t V = m.vocabSize, L = m.numLayers, H = m.hiddenSize;
  if (n == 0) {
    *error = "no token ids to run (n must be at least 1)";
    return RunOutcome::BadInput;
  }
  if (!ids) {
    *error = "ids is null";
    return RunOutcome::BadInput;
  }
  if (wanted != LogitsWanted::None && !logitsOut) {
    *error = "logits_out is null but logits were requested";
    return RunOutcome::BadInput;
  }
  if (n > std::numeric_limits<size_t>::max() / sizeof(float) / static_cast<size_t>(V)) {
    *error = "too many tokens in one call: " + std::to_string(n);
    return RunOutcome::BadInput;
  }
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= V) {
      *error = "token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
               " is out of range for vocabulary size " + std::to_string(V);
      return RunOutcome::BadInput;
    }
  }

  const ArtifactFile &artifact = *artifact_;
  // The ABI types are non-const, but the generated code only reads its inputs.
  int8_t *weights = reinterpret_cast<int8_t *>(const_cast<unsigned char *>(artifact.weights()));
  int32_t *idsData = const_cast<int32_t *>(ids);
  WeightsMemRef weightsRef{weights, weights, 0, {static_cast<int64_t>(artifact.weightsSize())}, {1}};
  IdsMemRef idsRef{idsData, idsData, 0, {static_cast<int64_t>(n)}, {1}};
  FloatMemRef2 stateRef{state.data(), state.data(), 0, {L, H}, {H, 1}};
  EntryPointResults results{};

  const bool isPrefill = n > 1;
  (isPrefill ? prefill_ : decode_)(&results, &weightsRef, &idsRef, &stateRef);
  ResultBuffers owned(results, {CallerMemory{weights, weights + artifact.weightsSize()},
                                CallerMemory{idsData, idsData + n},
                                CallerMemory{state.data(), state.data() + state.size()}});

  const char *entry = isPrefill ? "prefill" : "decode";
  auto abiError = [&](const std::string &what) {
    *error = path() + ": the generated " + entry + " broke the ABI: " + what;
    return RunOutcome::BrokenAbi;
  };
  if (owned.ownedByCaller(results.logits.allocated) || owned.ownedByCaller(results.state.allocated))
    return abiError("it returned a buffer the runtime passed in");
  if (results.logits.sizes[0] != static_cast<int64_t>(n) || results.logits.sizes[1] != V)
    return abiError("logits have shape " + shapeText(results.logits) + ", expected [" +
                    std::to_string(n) + ", " + std::to_string(V) + "]");
  if (results.state.sizes[0] != L || results.state.sizes[1] != H)
    return abiError("state has shape " + shapeText(results.state) + ", expected [" +
                    std::to_string(L) + ", " + std::to_string(H) + "]");
  if (!results.logits.aligned || !results.state.aligned)
    return abiError("it returned a null buffer");

  copyRows(results.state, 0, L, state.data());
  if (wanted == LogitsWanted::All) copyRows(results.logits, 0, static_cast<int64_t>(n), logitsOut);
  if (wanted == LogitsWanted::Last)
    copyRows(results.logits, static_cast<int64_t>(n) - 1, 1, logitsOut);
  return RunOutcome::Ok;
}

}  // namespace tern
