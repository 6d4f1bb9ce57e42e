#include "cuda/cuda_model.h"

#include "cuda/device_pointers.h"

#include <cstdlib>
#include <cstring>

namespace tern::cuda {

std::unique_ptr<CudaModel> CudaModel::create(const Device &device, const void *weights,
                                             size_t weightsBytes, EntryPoint prefill,
                                             EntryPoint decode, int64_t layers, int64_t hidden,
                                             int64_t vocab, bool dependentLaunch,
                                             std::string *error) {
  std::unique_ptr<CudaModel> model(new CudaModel(device));
  model->dependentLaunch_ = dependentLaunch;
  model->prefill_ = prefill;
  model->decode_ = decode;
  model->layers_ = layers;
  model->hidden_ = hidden;
  model->vocab_ = vocab;
  model->weightsBytes_ = weightsBytes;
  device.makeCurrent();
  const DriverApi &api = device.api();
  // One byte at least, so the weights pointer is never null.
  if ((*error = check(api.cuMemAlloc(&model->weights_, weightsBytes ? weightsBytes : 1),
                      "allocating the weights on the device (cuMemAlloc)"))
          .size())
    return nullptr;
  if (weightsBytes &&
      (*error = check(api.cuMemcpyHtoD(model->weights_, weights, weightsBytes),
                      "uploading the weights (cuMemcpyHtoD)"))
          .size())
    return nullptr;
  return model;
}

CudaModel::~CudaModel() {
  if (weights_) {
    device_.makeCurrent();
    device_.api().cuMemFree(weights_);
  }
}

CudaSession::CudaSession(const CudaModel &model)
    : model_(model), api_(model.device().api()), allocator_(model.device()),
      graphsEnabled_(graphsRequested()),
      dependentLaunch_(model.launchesDependent()) {}

std::unique_ptr<CudaSession> CudaSession::create(const CudaModel &model, std::string *error) {
  std::unique_ptr<CudaSession> s(new CudaSession(model));
  model.device().makeCurrent();
  const DriverApi &api = s->api_;
  size_t stateBytes = sizeof(float) * size_t(model.layers() * model.hidden());
  if ((*error = check(api.cuStreamCreate(&s->stream_, kStreamNonBlocking), "cuStreamCreate")).size() ||
      !(s->state_ = s->allocator_.allocate(stateBytes, error)) ||
      !(s->decodeId_ = s->allocator_.allocate(sizeof(int32_t), error)) ||
      (*error = check(api.cuMemHostAlloc(reinterpret_cast<void **>(&s->hostId_), sizeof(int32_t), 0),
                      "cuMemHostAlloc"))
          .size() ||
      (*error = check(api.cuMemHostAlloc(reinterpret_cast<void **>(&s->hostLogits_),
                                         sizeof(float) * size_t(model.vocab()), 0),
                      "cuMemHostAlloc"))
          .size())
    return nullptr;
  if (!s->reset(error)) return nullptr;
  return s;
}

CudaSession::~CudaSession() {
  model_.device().makeCurrent();
  releaseStream(api_, stream_, graphExec_, graph_, {hostId_, hostLogits_});
  // allocator_ frees every block after this body (the stream is idle).
}

bool CudaSession::sync(std::string *error) { return syncStream(api_, stream_, error); }

bool CudaSession::reset(std::string *error) {
  model_.device().makeCurrent();
  size_t words = size_t(model_.layers() * model_.hidden());
  if ((*error = check(api_.cuMemsetD32Async(state_, 0, words, stream_), "cuMemsetD32Async")).size())
    return false;
  return sync(error);
}

bool CudaSession::readState(float *out, std::string *error) {
  model_.device().makeCurrent();
  size_t bytes = sizeof(float) * size_t(model_.layers() * model_.hidden());
  if ((*error = check(api_.cuMemcpyDtoHAsync(out, state_, bytes, stream_), "cuMemcpyDtoHAsync")).size())
    return false;
  return sync(error);
}

std::string CudaSession::checkResults(const EntryPointResults &results, size_t n) const {
  const int64_t L = model_.layers(), H = model_.hidden(), V = model_.vocab();
  if (!allocator_.owns(address(results.logits.allocated)) ||
      !allocator_.owns(address(results.state.allocated)) ||
      results.logits.allocated == results.state.allocated)
    return "its results are not fresh device buffers of this session";
  if (results.logits.sizes[0] != int64_t(n) || results.logits.sizes[1] != V ||
      results.logits.strides[0] != V || results.logits.strides[1] != 1 || results.logits.offset != 0)
    return "logits are not a dense [" + std::to_string(n) + ", " + std::to_string(V) + "] buffer";
  if (results.state.sizes[0] != L || results.state.sizes[1] != H || results.state.strides[0] != H ||
      results.state.strides[1] != 1 || results.state.offset != 0)
    return "the state is not a dense [" + std::to_string(L) + ", " + std::to_string(H) + "] buffer";
  return "";
}

RunOutcome CudaSession::forward(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                                std::string *error) {
  if (n == 1 && graphsEnabled_) {
    if (!graphExec_ && decodeWarm_ && !captureDecodeGraph(error)) {
      graphsEnabled_ = false;  // this session runs eagerly from now on; the reason is not an error
      error->clear();
    }
    if (graphExec_) return replayDecodeGraph(ids[0], wanted, logitsOut, error);
  }
  return runEager(ids, n, wanted, logitsOut, error);
}

RunOutcome CudaSession::runEager(const int32_t *ids, size_t n, LogitsWanted wanted, float *logitsOut,
                                 std::string *error) {
  const int64_t L = model_.layers(), H = model_.hidden(), V = model_.vocab();
  ExecutionScope scope(model_.device(), stream_, &allocator_);
  scope.dependentLaunch = dependentLaunch_;
  if (n > idsCapacity_) {
    if (ids_) allocator_.release(ids_);
    idsCapacity_ = 0;
    if (!(ids_ = allocator_.allocate(sizeof(int32_t) * n, error))) return RunOutcome::BrokenAbi;
    idsCapacity_ = n;
  }
  if ((*error = check(api_.cuMemcpyHtoDAsync(ids_, ids, sizeof(int32_t) * n, stream_),
                      "uploading the token ids"))
          .size())
    return RunOutcome::BrokenAbi;

  int8_t *weights = devicePointer<int8_t>(model_.weights());
  int32_t *idsOnDevice = devicePointer<int32_t>(ids_);
  float *state = devicePointer<float>(state_);
  WeightsMemRef weightsRef{weights, weights, 0, {int64_t(model_.weightsBytes())}, {1}};
  IdsMemRef idsRef{idsOnDevice, idsOnDevice, 0, {int64_t(n)}, {1}};
  FloatMemRef2 stateRef{state, state, 0, {L, H}, {H, 1}};
  EntryPointResults results{};
  (n > 1 ? model_.prefill() : model_.decode())(&results, &weightsRef, &idsRef, &stateRef);

  auto releaseResults = [&] {
    for (void *p : {static_cast<void *>(results.logits.allocated),
                    static_cast<void *>(results.state.allocated)})
      if (p) allocator_.release(address(p));
  };
  if (scope.failed()) {
    *error = scope.error();
    sync(error);  // wait for what was queued; keep the first message
    *error = scope.error();
    releaseResults();
    return RunOutcome::BrokenAbi;
  }
  if (std::string why = checkResults(results, n); !why.empty()) {
    *error = "the generated " + std::string(n > 1 ? "prefill" : "decode") + " broke the ABI: " + why;
    releaseResults();
    return RunOutcome::BrokenAbi;
  }
  CUdeviceptr logits = address(results.logits.aligned);
  size_t row = sizeof(float) * size_t(V);
  std::string why;
  if (wanted == LogitsWanted::All)
    why = check(api_.cuMemcpyDtoHAsync(logitsOut, logits, row * n, stream_), "reading the logits");
  else if (wanted == LogitsWanted::Last)
    why = check(api_.cuMemcpyDtoHAsync(logitsOut, logits + row * (n - 1), row, stream_),
                "reading the logits");
  std::string failedSync;
  bool ran = sync(&failedSync);
  if (why.empty() && ran)
    // Only a step that ran to the end moves the state on.
    why = check(api_.cuMemcpyDtoDAsync(state_, address(results.state.aligned),
                                       sizeof(float) * size_t(L * H), stream_),
                "updating the state");
  if (why.empty() && ran) ran = sync(&failedSync);
  releaseResults();
  if (!why.empty() || !ran) {
    *error = why.empty() ? failedSync : why;
    return RunOutcome::BrokenAbi;
  }
  if (n == 1) decodeWarm_ = true;
  return RunOutcome::Ok;
}

bool CudaSession::captureDecodeGraph(std::string *error) {
  const int64_t L = model_.layers(), H = model_.hidden();
  ExecutionScope scope(model_.device(), stream_, &allocator_);
  scope.dependentLaunch = dependentLaunch_;
  scope.capturing = true;
  if ((*error = check(api_.cuStreamBeginCapture(stream_, kCaptureModeRelaxed), "cuStreamBeginCapture"))
          .size())
    return false;
  int8_t *weights = devicePointer<int8_t>(model_.weights());
  int32_t *id = devicePointer<int32_t>(decodeId_);
  float *state = devicePointer<float>(state_);
  WeightsMemRef weightsRef{weights, weights, 0, {int64_t(model_.weightsBytes())}, {1}};
  IdsMemRef idsRef{id, id, 0, {1}, {1}};
  FloatMemRef2 stateRef{state, state, 0, {L, H}, {H, 1}};
  EntryPointResults results{};
  model_.decode()(&results, &weightsRef, &idsRef, &stateRef);
  std::string why = scope.failed() ? scope.error() : checkResults(results, 1);
  if (why.empty())
    why = check(api_.cuMemcpyDtoDAsync(state_, address(results.state.aligned),
                                       sizeof(float) * size_t(L * H), stream_),
                "cuMemcpyDtoDAsync");
  CUgraph graph = nullptr;
  std::string ended = check(api_.cuStreamEndCapture(stream_, &graph), "cuStreamEndCapture");
  if (why.empty()) why = ended;
  if (why.empty())
    why = check(api_.cuGraphInstantiateWithFlags(&graphExec_, graph, 0), "cuGraphInstantiate");
  if (!why.empty()) {
    if (graph) api_.cuGraphDestroy(graph);
    graphExec_ = nullptr;
    for (void *p : {static_cast<void *>(results.logits.allocated),
                    static_cast<void *>(results.state.allocated)})
      if (p) allocator_.release(address(p));
    *error = "capturing the decode step as a CUDA graph: " + why;
    return false;
  }
  graph_ = graph;
  graphResults_ = results;  // the graph writes these on every replay: never recycled
  return true;
}

RunOutcome CudaSession::replayDecodeGraph(int32_t id, LogitsWanted wanted, float *logitsOut,
                                          std::string *error) {
  model_.device().makeCurrent();
  *hostId_ = id;
  std::string why = check(api_.cuMemcpyHtoDAsync(decodeId_, hostId_, sizeof(int32_t), stream_),
                          "uploading the token id");
  if (why.empty()) why = check(api_.cuGraphLaunch(graphExec_, stream_), "cuGraphLaunch");
  size_t row = sizeof(float) * size_t(model_.vocab());
  if (why.empty() && wanted != LogitsWanted::None)
    why = check(api_.cuMemcpyDtoHAsync(hostLogits_, address(graphResults_.logits.aligned), row,
                                       stream_),
                "reading the logits");
  std::string failedSync;
  if (!sync(&failedSync) && why.empty()) why = failedSync;
  if (!why.empty()) {
    *error = why;
    return RunOutcome::BrokenAbi;
  }
  if (wanted != LogitsWanted::None) std::memcpy(logitsOut, hostLogits_, row);
  return RunOutcome::Ok;
}

}  // namespace tern::cuda
