#include "model.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <new>

#include <dlfcn.h>

#include <nlohmann/json.hpp>

#include "cuda/cuda_model.h"
#include "cuda/mgpu_abi.h"
#include "synthetic_weights.h"

namespace tern {
namespace {

// The checks every forward call makes before any code runs, on the CPU or the GPU.
RunOutcome checkRunInput(const ArtifactManifest &m, const int32_t *ids, size_t n,
                         LogitsWanted wanted, const float *logitsOut, std::string *error) {
  const int64_t V = m.vocabSize;
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
  return RunOutcome::Ok;
}

// The manifest's "target" object, or null.
nlohmann::json manifestTarget(std::string_view manifestText) {
  nlohmann::json manifest =
      nlohmann::json::parse(manifestText.begin(), manifestText.end(), nullptr, false);
  if (!manifest.is_object()) return nullptr;
  auto target = manifest.find("target");
  return target != manifest.end() && target->is_object() ? *target : nlohmann::json();
}

// Whether the manifest's target (manifestTarget) is a GPU ("target": {"kind": "cuda", ...}).
bool targetsCuda(const nlohmann::json &target) {
  return target.is_object() && target.value("kind", "") == "cuda";
}

// Whether every kernel of a CUDA artifact waits for the kernels before it itself ("target":
// {"dependent_launch": true}, sm_90 artifacts): only then may they be launched early.
bool kernelsWaitForEachOther(const nlohmann::json &target) {
  if (!target.is_object()) return false;
  auto flag = target.find("dependent_launch");
  return flag != target.end() && flag->is_boolean() && flag->get<bool>();
}

// TERN_DEVICE (tern-run --device) must agree with where the artifact runs.
bool deviceRequestAgrees(bool onCuda, std::string *error) {
  const char *requested = std::getenv("TERN_DEVICE");
  if (!requested || !*requested) return true;
  bool wantsCuda = std::strncmp(requested, "cuda", 4) == 0;
  if (!wantsCuda && std::strcmp(requested, "cpu") != 0) {
    *error = std::string("unknown device \"") + requested + "\" (expected cpu, cuda or cuda:N)";
    return false;
  }
  if (wantsCuda == onCuda) return true;
  *error = onCuda ? "this artifact is compiled for CUDA (ternc --target=cuda); it cannot run on the CPU"
                  : std::string("this artifact is compiled for the CPU; it cannot run on ") + requested +
                        " (compile it with ternc --target=cuda)";
  return false;
}

// The generated CUDA host code calls mgpu* functions that resolve against the loading program; they
// are there only if the program exports its symbols (tern-run is linked with ENABLE_EXPORTS).
bool mgpuFunctionsExported(std::string *error) {
  void *found = dlsym(RTLD_DEFAULT, "mgpuLaunchKernel");
  if (found == reinterpret_cast<void *>(&mgpuLaunchKernel)) return true;
  *error = "this program does not export the runtime's mgpu* functions, which CUDA artifacts call: "
           "link it with -rdynamic (CMake: set_target_properties(... ENABLE_EXPORTS ON))";
  return false;
}

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

// Points the generated code's kernel slots (kernel_dispatch.h) at this runtime's entry points and
// the model's KernelContext. The manifest's "kernels" lists what the code calls.
bool bindKernels(const ArtifactFile &artifact, const InMemorySharedObject &code,
                 KernelContext *context, std::string *error) {
  nlohmann::json manifest = nlohmann::json::parse(artifact.manifestText(), nullptr, false);
  auto kernels = manifest.is_object() ? manifest.find("kernels") : manifest.end();
  if (!manifest.is_object() || kernels == manifest.end()) return true;
  if (!kernels->is_array()) {
    *error = "the manifest's \"kernels\" is not an array";
    return false;
  }
  for (const nlohmann::json &name : *kernels) {
    if (!name.is_string()) {
      *error = "the manifest's \"kernels\" holds a non-string";
      return false;
    }
    void *entry = generatedCodeKernel(name.get<std::string>());
    if (!entry) {
      *error = "the code needs kernel \"" + name.get<std::string>() +
               "\", which this runtime does not have (it has: " + generatedCodeKernelNames() + ")";
      return false;
    }
    auto *slot = static_cast<void **>(code.symbol(kKernelSlotPrefix + name.get<std::string>(), error));
    if (!slot) return false;
    *slot = entry;
  }
  if (kernels->empty()) return true;
  auto *contextSlot = static_cast<void **>(code.symbol(kKernelContextSlot, error));
  if (!contextSlot) return false;
  *contextSlot = context;
  return true;
}

}  // namespace

std::shared_ptr<const Model> Model::open(const std::string &path, std::string *error) {
  std::shared_ptr<Model> model(new Model());
  model->artifact_ = ArtifactFile::open(path, error);
  if (!model->artifact_) return nullptr;
  const ArtifactFile &artifact = *model->artifact_;
  std::string why;
  const nlohmann::json target = manifestTarget(artifact.manifestText());
  const bool onCuda = targetsCuda(target);
  if (!deviceRequestAgrees(onCuda, &why)) {
    *error = path + ": " + why;
    return nullptr;
  }
  SyntheticWeights synthetic;
  if (!readSyntheticWeights(artifact.manifestText(), &synthetic, &why)) {
    *error = path + ": " + why;
    return nullptr;
  }
  if (synthetic.present) {
    size_t bytes = (synthetic.bytes + 4095) / 4096 * 4096 + 4096;
    model->synthesized_.reset(static_cast<unsigned char *>(std::aligned_alloc(4096, bytes)));
    if (!model->synthesized_) throw std::bad_alloc();
    model->synthesizedSize_ = synthetic.bytes;
    if (!synthesizeWeights(artifact.manifestText(), synthetic, model->synthesized_.get(), &why)) {
      *error = path + ": synthesizing the weights (--random-weights): " + why;
      return nullptr;
    }
  }
  const cuda::Device *device = nullptr;
  std::unique_ptr<cuda::ExecutionScope> loadScope;  // catches the kernels' load errors in dlopen
  if (onCuda) {
    device = cuda::Device::get(&why);
    if (!device || !mgpuFunctionsExported(&why)) {
      *error = path + ": this artifact runs on a CUDA GPU: " + why;
      return nullptr;
    }
    loadScope = std::make_unique<cuda::ExecutionScope>(*device, nullptr, nullptr);
  }
  model->code_ = InMemorySharedObject::load("tern:" + baseName(path), artifact.code(),
                                            artifact.codeSize(), &why);
  if (loadScope && loadScope->failed()) why = loadScope->error();
  loadScope.reset();
  if (!model->code_ || (onCuda && !why.empty())) {
    *error = path + ": " + why;
    return nullptr;
  }
  model->kernels_ = KernelContext::fromEnvironment(&why);
  if (!model->kernels_ || !bindKernels(artifact, *model->code_, model->kernels_.get(), &why)) {
    *error = path + ": " + why;
    return nullptr;
  }
  if (model->isModule()) {
    for (const ArtifactFunction &fn : artifact.manifest().functions) {
      void *entry = model->code_->symbol(fn.symbol, &why);
      if (!entry) {
        *error = path + ": " + why;
        return nullptr;
      }
      model->functions_.push_back({&fn, entry});
    }
    return model;
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
  // Optional (older artifacts lack it): batch.h says so only when a batch is asked for.
  if (const std::string &symbol = artifact.manifest().decodeBatchSymbol; !symbol.empty()) {
    void *batch = model->code_->symbol(symbol, &why);
    if (!batch) {
      *error = path + ": " + why;
      return nullptr;
    }
    model->decodeBatch_ = reinterpret_cast<BatchEntryPoint>(batch);
  }
  if (onCuda) {
    const ArtifactManifest &m = artifact.manifest();
    model->cuda_ = cuda::CudaModel::create(*device, model->weightsData(), model->weightsSize(),
                                           model->prefill_, model->decode_, m.numLayers,
                                           m.hiddenSize, m.vocabSize,
                                           kernelsWaitForEachOther(target), &why);
    if (!model->cuda_) {
      *error = path + ": " + why;
      return nullptr;
    }
    model->synthesized_.reset();  // the device has its copy
  }
  return model;
}

Model::~Model() = default;

const unsigned char *Model::weightsData() const {
  return synthesized_ ? synthesized_.get() : artifact_->weights();
}

size_t Model::weightsSize() const {
  return synthesizedSize_ ? synthesizedSize_ : artifact_->weightsSize();
}

const LoadedFunction *Model::function(const std::string &name) const {
  for (const LoadedFunction &fn : functions_)
    if (fn.signature->name == name) return &fn;
  return nullptr;
}

RunOutcome Model::call(const LoadedFunction &fn, const tern_tensor *args, size_t numArgs,
                       tern_tensor *results, size_t numResults, std::string *error) const {
  RunOutcome outcome = callFunction(fn, weightsData(), weightsSize(), args,
                                    numArgs, results, numResults, error);
  if (outcome != RunOutcome::Ok) *error = path() + ": " + *error;
  return outcome;
}

RunOutcome Model::run(const int32_t *ids, size_t n, std::vector<float> &state,
                      LogitsWanted wanted, float *logitsOut, std::string *error) const {
  if (isModule()) {
    *error = path() + " holds compiled functions (kind \"mlir\"), not a model: call them with "
                      "tern_model_call";
    return RunOutcome::BadInput;
  }
  const ArtifactManifest &m = manifest();
  const int64_t V = m.vocabSize, L = m.numLayers, H = m.hiddenSize;
  if (cuda_) {
    *error = path() + " runs on a CUDA GPU: run it through a Session";
    return RunOutcome::BadInput;
  }
  if (RunOutcome checked = checkRunInput(m, ids, n, wanted, logitsOut, error);
      checked != RunOutcome::Ok)
    return checked;

  // The ABI types are non-const, but the generated code only reads its inputs.
  int8_t *weights = reinterpret_cast<int8_t *>(const_cast<unsigned char *>(weightsData()));
  int32_t *idsData = const_cast<int32_t *>(ids);
  WeightsMemRef weightsRef{weights, weights, 0, {static_cast<int64_t>(weightsSize())}, {1}};
  IdsMemRef idsRef{idsData, idsData, 0, {static_cast<int64_t>(n)}, {1}};
  FloatMemRef2 stateRef{state.data(), state.data(), 0, {L, H}, {H, 1}};
  EntryPointResults results{};

  const bool isPrefill = n > 1;
  // After a prefill (and after its results are freed below), give the memory of its intermediate
  // buffers back to the system: glibc keeps freed heap, and a 512-token prefill's buffers would
  // otherwise stay resident through the decode that follows (docs/performance.md, resident memory).
  struct TrimHeapAfterPrefill {
    bool prefill;
    ~TrimHeapAfterPrefill() {
#if defined(__GLIBC__)
      if (prefill) malloc_trim(0);
#endif
    }
  } trim{isPrefill};
  (isPrefill ? prefill_ : decode_)(&results, &weightsRef, &idsRef, &stateRef);
  ResultBuffers owned(results, {CallerMemory{weights, weights + weightsSize()},
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

Session::Session(std::shared_ptr<const Model> model)
    : model_(std::move(model)), state_(model_->stateElements(), 0.0f) {}
Session::Session(Session &&) noexcept = default;
Session::~Session() = default;

const std::vector<float> &Session::state() const {
  std::string ignored;  // on failure the last state read stays
  if (cuda_) cuda_->readState(state_.data(), &ignored);
  return state_;
}

void Session::reset() {
  std::fill(state_.begin(), state_.end(), 0.0f);
  std::string ignored;  // a failing device reports at the next forward call
  if (cuda_) cuda_->reset(&ignored);
}

RunOutcome Session::forward(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                            std::string *error) {
  const cuda::CudaModel *onDevice = model_->cuda();
  if (!onDevice) return model_->run(ids, n, state_, wanted, logitsOut, error);
  if (RunOutcome checked = checkRunInput(model_->manifest(), ids, n, wanted, logitsOut, error);
      checked != RunOutcome::Ok)
    return checked;
  if (!cuda_ && !(cuda_ = cuda::CudaSession::create(*onDevice, error))) {
    *error = model_->path() + ": " + *error;
    return RunOutcome::BrokenAbi;
  }
  RunOutcome outcome = cuda_->forward(ids, n, wanted, logitsOut, error);
  if (outcome != RunOutcome::Ok) *error = model_->path() + ": " + *error;
  return outcome;
}

}  // namespace tern
