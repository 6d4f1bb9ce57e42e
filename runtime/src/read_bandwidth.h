// The machine's memory read ceiling, measured the way a decode step reads its weights: streaming
// through a buffer much larger than the last-level cache, on a given number of threads. No single
// loop reaches the ceiling on every machine, so several readers run and the best counts:
// one and several streams per thread, 256- and 512-bit loads (where the CPU has them), and a plain
// fp16 matrix-vector product (what a dense runtime's decode does). The buffer asks for transparent
// huge pages, as the runtime's weights get them (a 2 MiB-aligned file mapping).
#ifndef TERN_RUNTIME_READ_BANDWIDTH_H
#define TERN_RUNTIME_READ_BANDWIDTH_H

#include <cstddef>
#include <cstdint>
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

// The buffer of the measurement, allocated and touched once, so that measurements can be taken
// between other work: the benchmark pairs each round of decode steps with one, so that the ratio of
// the two does not drift with the machine's load.
class ReadBandwidthMeter {
 public:
  ReadBandwidthMeter(int threads, size_t bytes = size_t(1) << 30);
  ~ReadBandwidthMeter();
  ReadBandwidthMeter(const ReadBandwidthMeter &) = delete;
  ReadBandwidthMeter &operator=(const ReadBandwidthMeter &) = delete;

  // Whether the buffer could be allocated (measure() returns an empty result otherwise).
  bool ok() const { return buffer_ != nullptr; }
  // Runs every reader this CPU supports on the threads over the buffer (split evenly), each
  // `repetitions` times.
  ReadBandwidth measure(int repetitions) const;

 private:
  int threads_;
  size_t bytes_ = 0, mappedBytes_ = 0;
  void *mapped_ = nullptr;
  uint8_t *buffer_ = nullptr;
};

// One ReadBandwidthMeter's measurement: `threads` threads over `bytes` bytes, each reader
// `repetitions` times. Returns an empty result if the buffer cannot be allocated.
ReadBandwidth measureReadBandwidth(int threads, size_t bytes = size_t(1) << 30,
                                   int repetitions = 5);

}  // namespace tern

#endif  // TERN_RUNTIME_READ_BANDWIDTH_H
