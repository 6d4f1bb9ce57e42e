// tern_hls.h - helpers included by the HLS C++ that ternc generates.
//
// Copied into every project by `ternc --target=hls` from backends/hls/support/.
// Everything here is synthesizable (no allocation, no recursion, fixed loop
// bounds) except TERN_TRACE, which is empty under __SYNTHESIS__.
//
// Numerics: IEEE single precision in the order of docs/model-spec.md, the same
// order as tern's CPU backend (compiler/Conversion/TernToLinalg), so C
// simulation reproduces the CPU backend's logits. Build the C simulation with
// -ffp-contract=off: a fused multiply-add would round differently.
#ifndef TERN_HLS_H
#define TERN_HLS_H

#include <cmath>
#include <cstdint>

#include "ap_int.h"
#include "hls_stream.h"

// The float whose IEEE bits are `bits`.
inline float tern_bits_to_float(uint32_t bits) {
  union {
    uint32_t u;
    float f;
  } value;
  value.u = bits;
  return value.f;
}

// bfloat16 is the top half of a float: the conversion is exact.
inline float tern_bf16_to_float(ap_uint<16> bits) {
  return tern_bits_to_float(uint32_t(bits.to_uint()) << 16);
}

// arith.maximumf / arith.minimumf for the non-NaN values that reach them here.
inline float tern_maximum(float a, float b) { return a < b ? b : a; }
inline float tern_minimum(float a, float b) { return b < a ? b : a; }

// sigmoid(z) = 1 / (1 + exp(-z)); silu(z) = z * sigmoid(z).
inline float tern_sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }
inline float tern_silu(float z) { return z * tern_sigmoid(z); }

// q = clamp(round_half_away_from_zero(y * s_x), -128, 127).
inline ap_int<8> tern_quantize(float y, float scale) {
  float r = std::round(y * scale);
  r = tern_maximum(r, -128.0f);
  r = tern_minimum(r, 127.0f);
  return ap_int<8>(int(r));
}

// A trit as a 2-bit code (trit + 1: 0 is -1, 1 is 0, 2 is +1), the digit the
// two_bit and base3 packings store. For packing `none` the byte is the trit.
inline ap_uint<2> tern_code_of_trit(ap_uint<8> byte) { return ap_uint<2>(ap_int<8>(byte) + 1); }

// The term a trit adds to the accumulator: +q, -q or nothing. A multiplexer
// and a negation, never a multiplier.
template <int W>
inline ap_int<W> tern_trit_term(ap_uint<2> code, ap_int<8> q) {
  return code == 2 ? ap_int<W>(q) : code == 0 ? ap_int<W>(-q) : ap_int<W>(0);
}

// TERN_TRACE(key, what, value): in C simulation, hands an integer the design
// computes (an activation q, an accumulator) to the testbench, which can dump
// them (tb --trace-dir); nothing in synthesis.
#ifndef __SYNTHESIS__
typedef void (*tern_trace_fn)(const char *key, const char *what, long long value);
inline tern_trace_fn &tern_trace_hook() {
  static tern_trace_fn hook = 0;
  return hook;
}
#define TERN_TRACE(key, what, value)                                                   \
  do {                                                                                 \
    if (tern_trace_hook())                                                             \
      tern_trace_hook()(key, what, (long long)(value));                                \
  } while (0)
#else
#define TERN_TRACE(key, what, value) ((void)0)
#endif

#endif // TERN_HLS_H
