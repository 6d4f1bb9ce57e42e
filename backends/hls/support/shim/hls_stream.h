// hls_stream.h - tern's stand-in for Vitis HLS's hls::stream.
//
// Used only for C simulation with g++ when the vendor headers are absent. Like
// the vendor's C model, a stream is an unbounded FIFO: the functions of a
// dataflow region run one after the other in C simulation, so depth cannot
// deadlock here (the depths the design declares matter in hardware only). A
// read from an empty stream is a design error: it aborts with the stream's
// name, where the vendor model would hang or warn.
#ifndef TERN_SHIM_HLS_STREAM_H
#define TERN_SHIM_HLS_STREAM_H

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T>
class stream {
public:
  stream() : name_("unnamed") {}
  explicit stream(const char *name) : name_(name) {}
  stream(const stream &) = delete;
  stream &operator=(const stream &) = delete;
  ~stream() {
    if (!fifo_.empty())
      std::fprintf(stderr, "WARNING: hls::stream '%s' contains leftover data (%zu elements)\n",
                   name_.c_str(), fifo_.size());
  }

  void write(const T &value) { fifo_.push_back(value); }
  T read() {
    if (fifo_.empty()) {
      std::fprintf(stderr, "ERROR: hls::stream '%s' read while empty\n", name_.c_str());
      std::abort();
    }
    T value = fifo_.front();
    fifo_.pop_front();
    return value;
  }
  void read(T &value) { value = read(); }
  void operator<<(const T &value) { write(value); }
  void operator>>(T &value) { value = read(); }
  bool empty() const { return fifo_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return fifo_.size(); }

private:
  std::string name_;
  std::deque<T> fifo_;
};

} // namespace hls

#endif // TERN_SHIM_HLS_STREAM_H
