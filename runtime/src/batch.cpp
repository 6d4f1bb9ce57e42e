#include "batch.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "cuda/cuda_batch.h"

namespace tern {
namespace {

std::string shapeText(const int64_t *sizes, int rank) {
  std::string text = "[";
  for (int i = 0; i < rank; ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

bool inside(const void *p, const void *begin, size_t bytes) {
  const char *b = static_cast<const char *>(begin);
  return std::less_equal<const void *>()(b, p) && std::less<const void *>()(p, b + bytes);
}

}  // namespace

Batch::Batch(std::shared_ptr<const Model> model, size_t size)
    : model_(std::move(model)), size_(size) {}

Batch::~Batch() = default;

std::unique_ptr<Batch> Batch::create(std::shared_ptr<const Model> model, size_t size,
                                     bool *badInput, std::string *error) {
  *badInput = true;
  if (model->isModule()) {
    *error = model->path() + " holds compiled functions (kind \"mlir\"), not a model";
    return nullptr;
  }
  if (!model->decodeBatch()) {
    *error = model->path() + ": this artifact has no batch decode (its manifest lacks "
                             "entry_points.decode_batch); compile it again with this ternc";
    return nullptr;
  }
  if (size == 0) {
    *error = "a batch needs at least 1 sequence";
    return nullptr;
  }
  const size_t stateFloats = model->stateElements();
  if (size > SIZE_MAX / sizeof(float) / stateFloats ||
      size > SIZE_MAX / sizeof(float) / size_t(model->vocabSize())) {
    *error = "too many sequences in one batch: " + std::to_string(size);
    return nullptr;
  }
  *badInput = false;
  std::unique_ptr<Batch> batch(new Batch(model, size));
  if (const cuda::CudaModel *onDevice = model->cuda()) {
    batch->cuda_ = cuda::CudaBatch::create(*onDevice, model->decodeBatch(), size, error);
    if (!batch->cuda_) {
      *error = model->path() + ": " + *error;
      return nullptr;
    }
  } else {
    batch->states_.assign(size * stateFloats, 0.0f);
  }
  return batch;
}

bool Batch::reset(size_t index, std::string *error) {
  if (index > size_) {
    *error = "sequence " + std::to_string(index) + " is not in a batch of " + std::to_string(size_);
    return false;
  }
  if (cuda_) {
    if (cuda_->reset(index, error)) return true;
    *error = model_->path() + ": " + *error;
    return false;
  }
  const size_t n = model_->stateElements();
  auto first = states_.begin() + std::ptrdiff_t(index == size_ ? 0 : index * n);
  std::fill(first, first + std::ptrdiff_t(index == size_ ? states_.size() : n), 0.0f);
  return true;
}

bool Batch::readState(size_t index, float *out, std::string *error) const {
  if (index >= size_) {
    *error = "sequence " + std::to_string(index) + " is not in a batch of " + std::to_string(size_);
    return false;
  }
  if (cuda_) {
    if (cuda_->readState(index, out, error)) return true;
    *error = model_->path() + ": " + *error;
    return false;
  }
  const size_t n = model_->stateElements();
  std::memcpy(out, states_.data() + index * n, sizeof(float) * n);
  return true;
}

RunOutcome Batch::step(const int32_t *ids, size_t n, float *logitsOut, std::string *error) {
  if (!ids) {
    *error = "ids is null";
    return RunOutcome::BadInput;
  }
  if (n != size_) {
    *error = "a batch of " + std::to_string(size_) + " sequences takes " + std::to_string(size_) +
             " token ids per step (one per sequence), got " + std::to_string(n);
    return RunOutcome::BadInput;
  }
  const int64_t V = model_->vocabSize();
  for (size_t b = 0; b < n; ++b) {
    if (ids[b] < 0 || ids[b] >= V) {
      *error = "token id " + std::to_string(ids[b]) + " of sequence " + std::to_string(b) +
               " is out of range for vocabulary size " + std::to_string(V);
      return RunOutcome::BadInput;
    }
  }
  if (cuda_) {
    if (cuda_->step(ids, logitsOut, error)) return RunOutcome::Ok;
    *error = model_->path() + ": " + *error;
    return RunOutcome::BrokenAbi;
  }
  return stepOnCpu(ids, logitsOut, error);
}

RunOutcome Batch::stepOnCpu(const int32_t *ids, float *logitsOut, std::string *error) {
  const int64_t B = int64_t(size_), V = model_->vocabSize();
  const int64_t L = model_->manifest().numLayers, H = model_->manifest().hiddenSize;
  // The ABI types are non-const, but the generated code only reads its inputs.
  int8_t *weights = reinterpret_cast<int8_t *>(const_cast<unsigned char *>(model_->weightsData()));
  int32_t *idsData = const_cast<int32_t *>(ids);
  WeightsMemRef weightsRef{weights, weights, 0, {int64_t(model_->weightsSize())}, {1}};
  IdsMemRef idsRef{idsData, idsData, 0, {B}, {1}};
  FloatMemRef3 statesRef{states_.data(), states_.data(), 0, {B, L, H}, {L * H, H, 1}};
  BatchEntryPointResults results{};
  model_->decodeBatch()(&results, &weightsRef, &idsRef, &statesRef);

  // The results are fresh malloc'd buffers (docs/artifact.md); anything the runtime passed in is
  // never freed.
  auto ownedByCaller = [&](const void *p) {
    return inside(p, weights, model_->weightsSize()) || inside(p, ids, sizeof(int32_t) * size_) ||
           inside(p, states_.data(), sizeof(float) * states_.size());
  };
  struct Free {
    void *logits, *state;
    bool logitsOurs, stateOurs;
    ~Free() {
      if (logits && !logitsOurs) std::free(logits);
      if (state && state != logits && !stateOurs) std::free(state);
    }
  } freeResults{results.logits.allocated, results.state.allocated,
                ownedByCaller(results.logits.allocated), ownedByCaller(results.state.allocated)};

  auto abiError = [&](const std::string &what) {
    *error = model_->path() + ": the generated batch decode broke the ABI: " + what;
    return RunOutcome::BrokenAbi;
  };
  if (freeResults.logitsOurs || freeResults.stateOurs)
    return abiError("it returned a buffer the runtime passed in");
  if (!results.logits.aligned || !results.state.aligned) return abiError("it returned a null buffer");
  if (results.logits.sizes[0] != B || results.logits.sizes[1] != V)
    return abiError("logits have shape " + shapeText(results.logits.sizes, 2) + ", expected [" +
                    std::to_string(B) + ", " + std::to_string(V) + "]");
  if (results.state.sizes[0] != B || results.state.sizes[1] != L || results.state.sizes[2] != H)
    return abiError("states have shape " + shapeText(results.state.sizes, 3) + ", expected [" +
                    std::to_string(B) + ", " + std::to_string(L) + ", " + std::to_string(H) + "]");

  const FloatMemRef3 &s = results.state;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t l = 0; l < L; ++l) {
      const float *src = s.aligned + s.offset + b * s.strides[0] + l * s.strides[1];
      float *dst = states_.data() + (b * L + l) * H;
      if (s.strides[2] == 1) std::memcpy(dst, src, sizeof(float) * size_t(H));
      else
        for (int64_t h = 0; h < H; ++h) dst[h] = src[h * s.strides[2]];
    }
  if (logitsOut) {
    const FloatMemRef2 &m = results.logits;
    for (int64_t b = 0; b < B; ++b) {
      const float *src = m.aligned + m.offset + b * m.strides[0];
      if (m.strides[1] == 1) std::memcpy(logitsOut + b * V, src, sizeof(float) * size_t(V));
      else
        for (int64_t v = 0; v < V; ++v) logitsOut[b * V + v] = src[v * m.strides[1]];
    }
  }
  return RunOutcome::Ok;
}

}  // namespace tern
