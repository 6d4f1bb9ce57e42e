// What tern-run --bench adds on a CPU (docs/performance.md): the kernels' threads and ISA, the
// weight layout, the process's resident memory, and the memory read ceiling measured on the same
// number of threads right after decode (runtime/src/read_bandwidth.h).
#ifndef TERN_RUN_BENCH_CPU_H
#define TERN_RUN_BENCH_CPU_H

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "read_bandwidth.h"

#include "tern/runtime.h"

namespace tern {

// Members threads, isa, layout, rss_bytes, peak_rss_bytes, artifact_bytes, read_gbps and readers
// (each reader's GB/s). Call it while the model is loaded and after its decode run. The read
// buffer is allocated after the resident memory is read, and handed back in `meter` for more
// measurements (the paired rounds).
nlohmann::json cpuBenchFacts(const tern_model *model, const std::string &modelPath,
                             const nlohmann::json &manifest,
                             std::unique_ptr<ReadBandwidthMeter> *meter);

}  // namespace tern

#endif  // TERN_RUN_BENCH_CPU_H
