// The machine's memory read ceiling, measured the way a decode step reads its weights: streaming
// through a buffer much larger than the last-level cache, on a given number of threads. No single
// loop reaches the ceiling on every machine, so several readers run and the best counts:
// one and several streams per thread, 256- and 512-bit loads (where the CPU has them), and a plain
// fp16 matrix-vector product (what a dense runtime's decode does). The buffer asks for transparent
// huge pages, as the runtime's weights get them (a 2 MiB-aligned file mapping).
#ifndef TERN_RUNTIME_READ_BANDWIDTH_H
#define TERN_RUNTIME_READ_BANDWIDTH_H

#include <cstddef>
#include <string>
#include <vector>

namespace tern {

struct ReaderResult {
  std::string name;  // e.g. "avx512_1stream", "avx2_4streams", "fp16_gemv"
  double gbps;       // best of the repetitions, 1e9 bytes per second
};

struct ReadBandwidth {
  std::vector<ReaderResult> readers;
  double best = 0;  // the largest of readers[].gbps
};

// Runs every reader this CPU supports on `threads` threads over `bytes` bytes (split evenly), each
// `repetitions` times. Returns an empty result if the buffer cannot be allocated.
ReadBandwidth measureReadBandwidth(int threads, size_t bytes = size_t(1) << 30,
                                   int repetitions = 5);

}  // namespace tern

#endif  // TERN_RUNTIME_READ_BANDWIDTH_H
