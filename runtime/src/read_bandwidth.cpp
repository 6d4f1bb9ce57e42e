#include "read_bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace tern {
namespace {

// Reads [p, p + n) as `streams` equal runs walked in lockstep; returns a value that depends on every
// byte, so the loads cannot be optimised away.
using ReaderFn = uint64_t (*)(const uint8_t *p, size_t n, int streams);

#if defined(__x86_64__)
__attribute__((target("avx512f"))) uint64_t readAvx512(const uint8_t *p, size_t n, int streams) {
  const size_t run = n / streams / 256 * 256;
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t i = 0; i < run; i += 256)
    for (int s = 0; s < streams; ++s) {
      const uint8_t *q = p + s * run + i;
      a = _mm512_xor_si512(a, _mm512_load_si512(q));
      b = _mm512_xor_si512(b, _mm512_load_si512(q + 64));
      c = _mm512_xor_si512(c, _mm512_load_si512(q + 128));
      d = _mm512_xor_si512(d, _mm512_load_si512(q + 192));
    }
  return uint64_t(_mm512_reduce_add_epi64(_mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d))));
}

__attribute__((target("avx2"))) uint64_t readAvx2(const uint8_t *p, size_t n, int streams) {
  const size_t run = n / streams / 128 * 128;
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < run; i += 128)
    for (int s = 0; s < streams; ++s) {
      const uint8_t *q = p + s * run + i;
      a = _mm256_xor_si256(a, _mm256_load_si256(reinterpret_cast<const __m256i *>(q)));
      b = _mm256_xor_si256(b, _mm256_load_si256(reinterpret_cast<const __m256i *>(q + 32)));
      c = _mm256_xor_si256(c, _mm256_load_si256(reinterpret_cast<const __m256i *>(q + 64)));
      d = _mm256_xor_si256(d, _mm256_load_si256(reinterpret_cast<const __m256i *>(q + 96)));
    }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  return uint64_t(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
}

// y = W x with W fp16 [n / (2 * cols), cols] and x fp32 (cols = 2048): a dense runtime's decode.
__attribute__((target("avx512f"))) uint64_t fp16GemvAvx512(const uint8_t *p, size_t n, int) {
  constexpr size_t cols = 2048;
  alignas(64) static float x[cols];  // zeros, unknown to the compiler
  const uint16_t *w = reinterpret_cast<const uint16_t *>(p);
  const size_t rows = n / (2 * cols);
  float total = 0;
  for (size_t r = 0; r < rows; ++r, w += cols) {
    __m512 a = _mm512_setzero_ps(), b = a;
    for (size_t c = 0; c < cols; c += 32) {
      a = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(w + c))),
                          _mm512_load_ps(x + c), a);
      b = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(w + c + 16))),
                          _mm512_load_ps(x + c + 16), b);
    }
    total += _mm512_reduce_add_ps(_mm512_add_ps(a, b));
  }
  uint32_t bits;
  std::memcpy(&bits, &total, 4);
  return bits;
}
#endif

#if defined(__aarch64__)
uint64_t readNeon(const uint8_t *p, size_t n, int streams) {
  const size_t run = n / streams / 64 * 64;
  uint8x16_t a = vdupq_n_u8(0), b = a, c = a, d = a;
  for (size_t i = 0; i < run; i += 64)
    for (int s = 0; s < streams; ++s) {
      const uint8_t *q = p + s * run + i;
      a = veorq_u8(a, vld1q_u8(q));
      b = veorq_u8(b, vld1q_u8(q + 16));
      c = veorq_u8(c, vld1q_u8(q + 32));
      d = veorq_u8(d, vld1q_u8(q + 48));
    }
  uint8x16_t x = veorq_u8(veorq_u8(a, b), veorq_u8(c, d));
  return vgetq_lane_u64(vreinterpretq_u64_u8(x), 0) ^ vgetq_lane_u64(vreinterpretq_u64_u8(x), 1);
}
#endif

uint64_t readScalar(const uint8_t *p, size_t n, int streams) {
  const size_t run = n / streams / 32 * 32;
  uint64_t a = 0, b = 0, c = 0, d = 0;
  for (size_t i = 0; i < run; i += 32)
    for (int s = 0; s < streams; ++s) {
      const uint64_t *q = reinterpret_cast<const uint64_t *>(p + s * run + i);
      a ^= q[0];
      b ^= q[1];
      c ^= q[2];
      d ^= q[3];
    }
  return a ^ b ^ c ^ d;
}

struct Reader {
  const char *name;
  ReaderFn fn;
  int streams;
};

std::vector<Reader> readers() {
  std::vector<Reader> all;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) {
    for (int streams : {1, 4, 8})
      all.push_back({streams == 1 ? "avx512_1stream" : streams == 4 ? "avx512_4streams"
                                                                    : "avx512_8streams",
                     readAvx512, streams});
    all.push_back({"fp16_gemv_avx512", fp16GemvAvx512, 1});
  }
  if (__builtin_cpu_supports("avx2"))
    for (int streams : {1, 4, 8})
      all.push_back({streams == 1 ? "avx2_1stream" : streams == 4 ? "avx2_4streams"
                                                                  : "avx2_8streams",
                     readAvx2, streams});
#elif defined(__aarch64__)
  for (int streams : {1, 4, 8})
    all.push_back({streams == 1 ? "neon_1stream" : streams == 4 ? "neon_4streams" : "neon_8streams",
                   readNeon, streams});
#endif
  if (all.empty()) all.push_back({"scalar_4streams", readScalar, 4});
  return all;
}

// A reusable barrier for a fixed number of spinning threads.
class SpinBarrier {
 public:
  explicit SpinBarrier(int threads) : threads_(threads) {}
  void wait() {
    const int phase = phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) {
      arrived_.store(0, std::memory_order_relaxed);
      phase_.fetch_add(1, std::memory_order_release);
      return;
    }
    while (phase_.load(std::memory_order_acquire) == phase) std::this_thread::yield();
  }

 private:
  const int threads_;
  std::atomic<int> arrived_{0};
  std::atomic<int> phase_{0};
};

}  // namespace

ReadBandwidthMeter::ReadBandwidthMeter(int threads, size_t bytes) : threads_(std::max(1, threads)) {
  constexpr size_t kHugePage = size_t(2) << 20;
  bytes_ = std::max(bytes / (kHugePage * threads_), size_t(1)) * kHugePage * threads_;
  mappedBytes_ = bytes_ + kHugePage;
  mapped_ = mmap(nullptr, mappedBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped_ == MAP_FAILED) {
    mapped_ = nullptr;
    return;
  }
  buffer_ = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(mapped_) + kHugePage - 1) & ~(kHugePage - 1));
  madvise(buffer_, bytes_, MADV_HUGEPAGE);
  // fp16 1.0 everywhere: every page touched (and backed) before any timing.
  for (size_t i = 0; i < bytes_; i += 2) {
    buffer_[i] = 0x00;
    buffer_[i + 1] = 0x3c;
  }
}

ReadBandwidthMeter::~ReadBandwidthMeter() {
  if (mapped_) munmap(mapped_, mappedBytes_);
}

ReadBandwidth ReadBandwidthMeter::measure(int repetitions) const {
  ReadBandwidth result;
  if (!buffer_) return result;
  const std::vector<Reader> all = readers();
  const int threads = threads_;
  const size_t bytes = bytes_, share = bytes / threads;
  const uint8_t *buffer = buffer_;
  SpinBarrier start(threads), stop(threads);
  std::atomic<uint64_t> sink{0};
  auto work = [&](int part) {
    for (size_t r = 0; r < all.size(); ++r)
      for (int rep = 0; rep < repetitions; ++rep) {
        start.wait();
        sink.fetch_add(all[r].fn(buffer + part * share, share, all[r].streams),
                       std::memory_order_relaxed);
        stop.wait();
      }
  };
  std::vector<std::thread> workers;
  for (int part = 1; part < threads; ++part) workers.emplace_back(work, part);
  // The caller is part 0 and the clock: each repetition runs from the start barrier to the stop one.
  result.readers.reserve(all.size());
  for (size_t current = 0; current < all.size(); ++current) {
    double best = 0;
    for (int rep = 0; rep < repetitions; ++rep) {
      start.wait();
      auto begin = std::chrono::steady_clock::now();
      sink.fetch_add(all[current].fn(buffer, share, all[current].streams), std::memory_order_relaxed);
      stop.wait();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      best = std::max(best, double(bytes) / seconds / 1e9);
    }
    result.readers.push_back({all[current].name, best});
    result.best = std::max(result.best, best);
  }
  for (std::thread &worker : workers) worker.join();
  return result;
}

ReadBandwidth measureReadBandwidth(int threads, size_t bytes, int repetitions) {
  ReadBandwidthMeter meter(threads, bytes);
  return meter.measure(repetitions);
}

}  // namespace tern
