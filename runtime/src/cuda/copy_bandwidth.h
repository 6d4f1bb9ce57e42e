// The GPU's own memory ceiling, measured in the same run as a model: a large device-to-device copy.
#ifndef TERN_RUNTIME_CUDA_COPY_BANDWIDTH_H
#define TERN_RUNTIME_CUDA_COPY_BANDWIDTH_H

#include <cstddef>
#include <string>

#include "cuda/device.h"

namespace tern::cuda {

// Copies `bytes` from one device buffer to another `repeats` times (after a warm-up) and returns the
// median rate in GB/s (1e9 bytes), counting the bytes read and the bytes written.
bool measureCopyBandwidth(const Device &device, size_t bytes, int repeats, double *gbps,
                          std::string *error);

}  // namespace tern::cuda

#endif  // TERN_RUNTIME_CUDA_COPY_BANDWIDTH_H
