// One function per construct that hls_lint.py must refuse in synthesizable code.
#include <vector>

#include "tern_hls.h"

void allocates(hls::stream<float> &out) {
  float *buffer = new float[4];
  out.write(buffer[0]);
  delete[] buffer;
}

void uses_a_container(hls::stream<float> &out) {
  std::vector<float> values(4, 0.0f);
  out.write(values[0]);
}

int counts_down(int n) { return n == 0 ? 0 : counts_down(n - 1); }

void pong(int n);
void ping(int n) { pong(n); }
void pong(int n) { ping(n); }

void drains(hls::stream<float> &in) {
  while (!in.empty())
    in.read();
}

void reads_n(int n, hls::stream<float> &in) {
  for (int j = 0; j < n; ++j)
    in.read();
}

void buffers_n(int n, hls::stream<float> &in) {
  float row[n];
  row[0] = in.read();
}

void accumulates_with_a_multiplier(hls::stream<ap_int<8>> &in, hls::stream<ap_int<32>> &out) {
  ap_int<32> acc = 0;
  acc += tern_trit_term<32>(ap_uint<2>(2), in.read()) * 2;
  out.write(acc);
}

#ifndef __SYNTHESIS__
// C simulation only: not checked.
void traces(std::vector<int> &values) { values.push_back(1); }
#endif
