// ap_int.h - tern's stand-in for Vitis HLS's arbitrary-precision integers.
//
// Used only for C simulation with g++ when the vendor headers are absent (the
// project's Makefile picks $XILINX_HLS/include first). It covers what tern's
// generated code uses, with the vendor semantics for it: ap_int<W> and
// ap_uint<W> (1 <= W <= 64) wrap to W bits when constructed or assigned;
// arithmetic on them happens in 64 bits (the vendor types widen the result,
// so no intermediate overflows either way); range(hi, lo) reads bits.
#ifndef TERN_SHIM_AP_INT_H
#define TERN_SHIM_AP_INT_H

template <int W>
class ap_uint;

template <int W>
class ap_int {
  static_assert(W >= 1 && W <= 64, "the shim supports 1..64 bits");

public:
  ap_int() : v_(0) {}
  ap_int(long long value) : v_(wrap(value)) {}
  operator long long() const { return v_; }

  ap_int &operator=(long long value) {
    v_ = wrap(value);
    return *this;
  }
  ap_int &operator+=(long long value) { return *this = v_ + value; }
  ap_int &operator-=(long long value) { return *this = v_ - value; }
  ap_int &operator++() { return *this = v_ + 1; }

  int to_int() const { return int(v_); }
  long long to_int64() const { return v_; }
  unsigned to_uint() const { return unsigned(v_); }
  unsigned long long range(int hi, int lo) const {
    unsigned long long bits = (unsigned long long)v_ >> lo;
    int width = hi - lo + 1;
    return width >= 64 ? bits : bits & ((1ULL << width) - 1);
  }

private:
  static long long wrap(long long value) {
    if (W == 64)
      return value;
    unsigned long long mask = (1ULL << (W % 64)) - 1;
    unsigned long long bits = (unsigned long long)value & mask;
    if (bits >> (W - 1))
      bits |= ~mask; // sign-extend
    return (long long)bits;
  }
  long long v_;
};

template <int W>
class ap_uint {
  static_assert(W >= 1 && W <= 64, "the shim supports 1..64 bits");

public:
  ap_uint() : v_(0) {}
  ap_uint(unsigned long long value) : v_(wrap(value)) {}
  ap_uint(long long value) : v_(wrap((unsigned long long)value)) {}
  ap_uint(int value) : v_(wrap((unsigned long long)(long long)value)) {}
  ap_uint(unsigned value) : v_(wrap(value)) {}
  template <int W2>
  ap_uint(ap_int<W2> value) : v_(wrap((unsigned long long)(long long)value)) {}
  operator unsigned long long() const { return v_; }

  ap_uint &operator=(unsigned long long value) {
    v_ = wrap(value);
    return *this;
  }

  int to_int() const { return int(v_); }
  unsigned to_uint() const { return unsigned(v_); }
  unsigned long long to_uint64() const { return v_; }
  unsigned long long range(int hi, int lo) const {
    unsigned long long bits = v_ >> lo;
    int width = hi - lo + 1;
    return width >= 64 ? bits : bits & ((1ULL << width) - 1);
  }

private:
  static unsigned long long wrap(unsigned long long value) {
    return W == 64 ? value : value & ((1ULL << (W % 64)) - 1);
  }
  unsigned long long v_;
};

#endif // TERN_SHIM_AP_INT_H
