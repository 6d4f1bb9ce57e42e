// tb_layer.cpp - C-simulation testbench of one BitLinear
// (ternc --target=hls --hls-top=layer).
//
//   csim --input x.npy --output y.npy [--trace-dir DIR]
//   csim --random-rows T [--seed S] --save-input x.npy --output y.npy
//
// x is float32 [T, K], read from --input or made of T seeded pseudo-random
// rows (uniform in [-2, 2), saved with --save-input to compare against); each row goes through the design (one call of
// tern_layer per row, through its AXI streams) and y [T, N] is written as
// float32 .npy. --trace-dir writes the int8 activations and int32 accumulators
// as DIR/<weight>.q.npy / .acc.npy.
#include "tern_top.h"

#include "tb_support.h"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  std::string input, output, traceDir, randomRows, seed = "1", saveInput;
  for (int i = 1; i < argc; ++i) {
    if (tb::optionValue(argc, argv, &i, "input", &input) ||
        tb::optionValue(argc, argv, &i, "output", &output) ||
        tb::optionValue(argc, argv, &i, "trace-dir", &traceDir) ||
        tb::optionValue(argc, argv, &i, "random-rows", &randomRows) ||
        tb::optionValue(argc, argv, &i, "seed", &seed) ||
        tb::optionValue(argc, argv, &i, "save-input", &saveInput))
      continue;
    std::fprintf(stderr, "usage: csim (--input x.npy | --random-rows T [--seed S] [--save-input x.npy]) "
                         "--output y.npy [--trace-dir DIR]\n(unknown argument '%s')\n",
                 argv[i]);
    return 2;
  }
  if (input.empty() == randomRows.empty() || output.empty()) {
    std::fprintf(stderr, "csim: give --output and one of --input or --random-rows\n");
    return 2;
  }
  std::vector<float> x;
  std::vector<long long> shape;
  std::string error;
  if (!input.empty()) {
    if (!tb::readNpyFloat32(input, &x, &shape, &error)) {
      std::fprintf(stderr, "csim: error: %s\n", error.c_str());
      return 1;
    }
  } else {
    long long rows = std::atoll(randomRows.c_str());
    if (rows <= 0) {
      std::fprintf(stderr, "csim: error: --random-rows must be positive\n");
      return 2;
    }
    unsigned long long state = std::strtoull(seed.c_str(), nullptr, 10) * 2 + 1;
    for (long long i = 0; i < rows * TERN_LAYER_IN; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL; // Knuth's MMIX LCG
      x.push_back(float(state >> 40) / float(1 << 24) * 4.0f - 2.0f);
    }
    shape = {rows, TERN_LAYER_IN};
    if (!saveInput.empty() && !tb::writeNpy(saveInput, "<f4", x.data(), sizeof(float), shape, &error)) {
      std::fprintf(stderr, "csim: error: %s\n", error.c_str());
      return 1;
    }
  }
  if (shape.size() != 2 || shape[1] != TERN_LAYER_IN) {
    std::fprintf(stderr, "csim: error: %s must have shape [T, %d] for %s\n", input.c_str(), TERN_LAYER_IN,
                 TERN_LAYER_NAME);
    return 1;
  }
  if (!traceDir.empty())
    tern_trace_hook() = tb::recordTrace;

  const long long rows = shape[0];
  std::vector<float> y(size_t(rows) * TERN_LAYER_OUT);
  for (long long t = 0; t < rows; ++t) {
    hls::stream<float> in("x"), out("y");
    for (int k = 0; k < TERN_LAYER_IN; ++k)
      in.write(x[size_t(t) * TERN_LAYER_IN + k]);
    tern_layer(in, out);
    for (int n = 0; n < TERN_LAYER_OUT; ++n)
      y[size_t(t) * TERN_LAYER_OUT + n] = out.read();
  }
  if (!tb::writeNpy(output, "<f4", y.data(), sizeof(float), {rows, TERN_LAYER_OUT}, &error) ||
      (!traceDir.empty() && !tb::writeTraces(traceDir, &error))) {
    std::fprintf(stderr, "csim: error: %s\n", error.c_str());
    return 1;
  }
  std::printf("csim: %s, %lld rows, y [%lld, %d] written to %s\n", TERN_LAYER_NAME, rows, rows,
              TERN_LAYER_OUT, output.c_str());
  return 0;
}
