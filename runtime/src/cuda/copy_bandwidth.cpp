#include "cuda/copy_bandwidth.h"

#include <algorithm>
#include <vector>

namespace tern::cuda {

bool measureCopyBandwidth(const Device &device, size_t bytes, int repeats, double *gbps,
                          std::string *error) {
  device.makeCurrent();
  const DriverApi &api = device.api();
  CUdeviceptr from = 0, to = 0;
  CUstream stream = nullptr;
  std::vector<CUevent> events(size_t(repeats) + 1, nullptr);
  auto cleanup = [&] {
    if (stream) api.cuStreamSynchronize(stream);
    for (CUevent e : events)
      if (e) api.cuEventDestroy(e);
    if (from) api.cuMemFree(from);
    if (to) api.cuMemFree(to);
    if (stream) api.cuStreamDestroy(stream);
  };
  auto failed = [&](std::string why) {
    *error = why;
    cleanup();
    return false;
  };
  if (std::string why = check(api.cuStreamCreate(&stream, kStreamNonBlocking), "cuStreamCreate");
      !why.empty())
    return failed(why);
  if (std::string why = check(api.cuMemAlloc(&from, bytes), "cuMemAlloc"); !why.empty())
    return failed(why);
  if (std::string why = check(api.cuMemAlloc(&to, bytes), "cuMemAlloc"); !why.empty())
    return failed(why);
  for (CUevent &e : events)
    if (std::string why = check(api.cuEventCreate(&e, 0), "cuEventCreate"); !why.empty())
      return failed(why);
  // Not zeros: a copy of zero pages could be cheaper than one of data.
  if (std::string why = check(api.cuMemsetD32Async(from, 0x3f8ccccd, bytes / 4, stream), "memset");
      !why.empty())
    return failed(why);
  for (int warm = 0; warm < 3; ++warm)
    api.cuMemcpyDtoDAsync(to, from, bytes, stream);
  api.cuEventRecord(events[0], stream);
  for (int i = 0; i < repeats; ++i) {
    api.cuMemcpyDtoDAsync(to, from, bytes, stream);
    api.cuEventRecord(events[size_t(i) + 1], stream);
  }
  if (std::string why = check(api.cuEventSynchronize(events.back()), "the copy"); !why.empty())
    return failed(why);
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    float ms = 0;
    api.cuEventElapsedTime(&ms, events[size_t(i)], events[size_t(i) + 1]);
    if (ms > 0) rates.push_back(2.0 * double(bytes) / (double(ms) * 1e-3) / 1e9);
  }
  cleanup();
  if (rates.empty()) {
    *error = "the copies took no measurable time";
    return false;
  }
  std::sort(rates.begin(), rates.end());
  *gbps = rates[rates.size() / 2];
  return true;
}

}  // namespace tern::cuda
