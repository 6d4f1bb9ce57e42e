#include "cuda/cuda_batch.h"

#include "cuda/device_pointers.h"

#include <cstdlib>
#include <cstring>

namespace tern::cuda {

CudaBatch::CudaBatch(const CudaModel &model, BatchEntryPoint decodeBatch, size_t size)
    : model_(model), api_(model.device().api()), decodeBatch_(decodeBatch), size_(size),
      allocator_(model.device()), graphsEnabled_(graphsRequested()),
      dependentLaunch_(model.launchesDependent()) {}

std::unique_ptr<CudaBatch> CudaBatch::create(const CudaModel &model, BatchEntryPoint decodeBatch,
                                             size_t size, std::string *error) {
  std::unique_ptr<CudaBatch> b(new CudaBatch(model, decodeBatch, size));
  model.device().makeCurrent();
  const DriverApi &api = b->api_;
  size_t stateBytes = sizeof(float) * b->stateFloats() * size;
  size_t logitsBytes = sizeof(float) * size_t(model.vocab()) * size;
  if ((*error = check(api.cuStreamCreate(&b->stream_, kStreamNonBlocking), "cuStreamCreate")).size() ||
      !(b->states_ = b->allocator_.allocate(stateBytes, error)) ||
      !(b->ids_ = b->allocator_.allocate(sizeof(int32_t) * size, error)) ||
      (*error = check(api.cuMemHostAlloc(reinterpret_cast<void **>(&b->hostIds_),
                                         sizeof(int32_t) * size, 0),
                      "cuMemHostAlloc"))
          .size() ||
      (*error = check(api.cuMemHostAlloc(reinterpret_cast<void **>(&b->hostLogits_), logitsBytes, 0),
                      "cuMemHostAlloc"))
          .size())
    return nullptr;
  if (!b->reset(size, error)) return nullptr;
  return b;
}

CudaBatch::~CudaBatch() {
  model_.device().makeCurrent();
  releaseStream(api_, stream_, graphExec_, graph_, {hostIds_, hostLogits_});
  // allocator_ frees every block after this body (the stream is idle).
}

bool CudaBatch::sync(std::string *error) { return syncStream(api_, stream_, error); }

bool CudaBatch::reset(size_t index, std::string *error) {
  model_.device().makeCurrent();
  const bool all = index == size_;
  CUdeviceptr first = states_ + (all ? 0 : sizeof(float) * stateFloats() * index);
  size_t words = stateFloats() * (all ? size_ : 1);
  if ((*error = check(api_.cuMemsetD32Async(first, 0, words, stream_), "cuMemsetD32Async")).size())
    return false;
  return sync(error);
}

bool CudaBatch::readState(size_t index, float *out, std::string *error) {
  model_.device().makeCurrent();
  size_t bytes = sizeof(float) * stateFloats();
  if ((*error = check(api_.cuMemcpyDtoHAsync(out, states_ + bytes * index, bytes, stream_),
                      "cuMemcpyDtoHAsync"))
          .size())
    return false;
  return sync(error);
}

std::string CudaBatch::checkResults(const BatchEntryPointResults &results) const {
  const int64_t B = int64_t(size_), L = model_.layers(), H = model_.hidden(), V = model_.vocab();
  if (!allocator_.owns(address(results.logits.allocated)) ||
      !allocator_.owns(address(results.state.allocated)) ||
      results.logits.allocated == results.state.allocated)
    return "its results are not fresh device buffers of this batch";
  const FloatMemRef2 &l = results.logits;
  if (l.sizes[0] != B || l.sizes[1] != V || l.strides[0] != V || l.strides[1] != 1 || l.offset != 0)
    return "logits are not a dense [" + std::to_string(B) + ", " + std::to_string(V) + "] buffer";
  const FloatMemRef3 &s = results.state;
  if (s.sizes[0] != B || s.sizes[1] != L || s.sizes[2] != H || s.strides[0] != L * H ||
      s.strides[1] != H || s.strides[2] != 1 || s.offset != 0)
    return "the states are not a dense [" + std::to_string(B) + ", " + std::to_string(L) + ", " +
           std::to_string(H) + "] buffer";
  return "";
}

std::string CudaBatch::call(BatchEntryPointResults *results) {
  const int64_t B = int64_t(size_), L = model_.layers(), H = model_.hidden();
  int8_t *weights = devicePointer<int8_t>(model_.weights());
  int32_t *ids = devicePointer<int32_t>(ids_);
  float *states = devicePointer<float>(states_);
  WeightsMemRef weightsRef{weights, weights, 0, {int64_t(model_.weightsBytes())}, {1}};
  IdsMemRef idsRef{ids, ids, 0, {B}, {1}};
  FloatMemRef3 statesRef{states, states, 0, {B, L, H}, {L * H, H, 1}};
  decodeBatch_(results, &weightsRef, &idsRef, &statesRef);
  ExecutionScope *scope = ExecutionScope::current();
  if (scope && scope->failed()) return scope->error();
  if (std::string why = checkResults(*results); !why.empty())
    return "the generated batch decode broke the ABI: " + why;
  return "";
}

void CudaBatch::release(const BatchEntryPointResults &results) {
  for (void *p : {static_cast<void *>(results.logits.allocated),
                  static_cast<void *>(results.state.allocated)})
    if (p) allocator_.release(address(p));
}

bool CudaBatch::step(const int32_t *ids, float *logitsOut, std::string *error) {
  model_.device().makeCurrent();
  std::memcpy(hostIds_, ids, sizeof(int32_t) * size_);
  if ((*error = check(api_.cuMemcpyHtoDAsync(ids_, hostIds_, sizeof(int32_t) * size_, stream_),
                      "uploading the token ids"))
          .size())
    return false;
  if (graphsEnabled_ && !graphExec_ && warm_ && !captureGraph(error)) {
    graphsEnabled_ = false;  // this batch runs eagerly from now on; the reason is not an error
    error->clear();
  }
  if (graphExec_) return replayGraph(logitsOut, error);
  return runEager(logitsOut, error);
}

bool CudaBatch::runEager(float *logitsOut, std::string *error) {
  BatchEntryPointResults results{};
  std::string why;
  {
    ExecutionScope scope(model_.device(), stream_, &allocator_);
    scope.dependentLaunch = dependentLaunch_;
    why = call(&results);
    if (scope.failed()) {
      sync(error);  // wait for what was queued; keep the first message
      why = scope.error();
    }
  }
  size_t logitsBytes = sizeof(float) * size_t(model_.vocab()) * size_;
  if (why.empty() && logitsOut)
    why = check(api_.cuMemcpyDtoHAsync(hostLogits_, address(results.logits.aligned), logitsBytes,
                                       stream_),
                "reading the logits");
  std::string failedSync;
  bool ran = why.empty() && sync(&failedSync);
  if (ran)
    // Only a step that ran to the end moves the states on.
    why = check(api_.cuMemcpyDtoDAsync(states_, address(results.state.aligned),
                                       sizeof(float) * stateFloats() * size_, stream_),
                "updating the states");
  if (why.empty() && ran) ran = sync(&failedSync);
  release(results);
  if (!why.empty() || !ran) {
    *error = why.empty() ? failedSync : why;
    return false;
  }
  if (logitsOut) std::memcpy(logitsOut, hostLogits_, logitsBytes);
  warm_ = true;
  return true;
}

bool CudaBatch::captureGraph(std::string *error) {
  ExecutionScope scope(model_.device(), stream_, &allocator_);
  scope.capturing = true;
  scope.dependentLaunch = dependentLaunch_;
  if ((*error = check(api_.cuStreamBeginCapture(stream_, kCaptureModeRelaxed), "cuStreamBeginCapture"))
          .size())
    return false;
  BatchEntryPointResults results{};
  std::string why = call(&results);
  if (why.empty())
    why = check(api_.cuMemcpyDtoDAsync(states_, address(results.state.aligned),
                                       sizeof(float) * stateFloats() * size_, stream_),
                "cuMemcpyDtoDAsync");
  CUgraph graph = nullptr;
  std::string ended = check(api_.cuStreamEndCapture(stream_, &graph), "cuStreamEndCapture");
  if (why.empty()) why = ended;
  if (why.empty())
    why = check(api_.cuGraphInstantiateWithFlags(&graphExec_, graph, 0), "cuGraphInstantiate");
  if (!why.empty()) {
    if (graph) api_.cuGraphDestroy(graph);
    graphExec_ = nullptr;
    release(results);
    *error = "capturing the batch decode step as a CUDA graph: " + why;
    return false;
  }
  graph_ = graph;
  graphResults_ = results;  // the graph writes these on every replay: never recycled
  return true;
}

bool CudaBatch::replayGraph(float *logitsOut, std::string *error) {
  std::string why = check(api_.cuGraphLaunch(graphExec_, stream_), "cuGraphLaunch");
  size_t logitsBytes = sizeof(float) * size_t(model_.vocab()) * size_;
  if (why.empty() && logitsOut)
    why = check(api_.cuMemcpyDtoHAsync(hostLogits_, address(graphResults_.logits.aligned),
                                       logitsBytes, stream_),
                "reading the logits");
  std::string failedSync;
  if (!sync(&failedSync) && why.empty()) why = failedSync;
  if (!why.empty()) {
    *error = why;
    return false;
  }
  if (logitsOut) std::memcpy(logitsOut, hostLogits_, logitsBytes);
  return true;
}

}  // namespace tern::cuda
