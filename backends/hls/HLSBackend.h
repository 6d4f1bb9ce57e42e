//===- HLSBackend.h - ternc's HLS target ------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_HLS_HLSBACKEND_H
#define TERN_BACKENDS_HLS_HLSBACKEND_H

#include "compiler/Driver/Driver.h"

#include <cstdint>
#include <string>

namespace tern {

/// What `--hls-top` synthesises: the whole model's decode step, or one
/// BitLinear.
enum class HLSTop { Model, Layer };

/// ternc's options for --target=hls (declared in ternc.cpp).
struct HLSOptions {
  HLSTop top = HLSTop::Model;           // --hls-top
  std::string layer;                    // --hls-layer: which BitLinear (default the first)
  std::string part = "xcu280-fsvh2892-2L-e"; // --fpga-part
  double clockMHz = 300.0;              // --hls-clock-mhz
  int64_t lanes = 64;                   // --hls-lanes: trits per clock per BitLinear
  bool report = false;                  // --report
};

/// `--target=hls`: the packed tern IR gets HLS directives (backends/hls
/// passes) and is printed as a Vitis-HLS-style C++ project with a
/// C-simulation testbench (docs/hls.md).
Backend hlsBackend(const HLSOptions &options);

} // namespace tern

#endif // TERN_BACKENDS_HLS_HLSBACKEND_H
