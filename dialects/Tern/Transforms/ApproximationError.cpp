//===- ApproximationError.cpp - error of the opt-in approximations --------===//
#include "dialects/Tern/Transforms/ApproximationError.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// kErrorSampleRows x k standard-normal values from a fixed seed. Box-Muller
/// over mt19937_64 bits, both fully specified by the C++ standard, so every
/// platform draws the same numbers (std::normal_distribution is not).
std::vector<double> randomRows(int64_t k) {
  std::mt19937_64 bits(20240601);
  auto uniform = [&] { return (double(bits() >> 11) + 0.5) * 0x1.0p-53; }; // in (0, 1)
  std::vector<double> x(size_t(kErrorSampleRows * k));
  for (size_t i = 0; i < x.size(); i += 2) {
    double radius = std::sqrt(-2.0 * std::log(uniform()));
    double angle = 2.0 * M_PI * uniform();
    x[i] = radius * std::cos(angle);
    if (i + 1 < x.size())
      x[i + 1] = radius * std::sin(angle);
  }
  return x;
}

/// sum_k trit * x[k], with adds and subtracts.
template <typename T>
double signedSum(const int8_t *trits, const T *x, int64_t k) {
  double sum = 0;
  for (int64_t j = 0; j < k; ++j)
    sum += trits[j] > 0 ? double(x[j]) : trits[j] < 0 ? -double(x[j]) : 0.0;
  return sum;
}

} // namespace

double ErrorSums::relative() const {
  if (reference == 0)
    return difference == 0 ? 0.0 : INFINITY;
  return std::sqrt(difference / reference);
}

void mlir::tern::addTernarizationError(ArrayRef<float> weights, ArrayRef<int8_t> trits,
                                       double scale, int64_t n, int64_t k, ErrorSums &sums) {
  std::vector<double> x = randomRows(k);
  for (int64_t row = 0; row < kErrorSampleRows; ++row) {
    const double *xr = x.data() + row * k;
    for (int64_t i = 0; i < n; ++i) {
      double exact = 0;
      for (int64_t j = 0; j < k; ++j)
        exact += xr[j] * double(weights[i * k + j]);
      double approximate = scale * signedSum(trits.data() + i * k, xr, k);
      sums.difference += (approximate - exact) * (approximate - exact);
      sums.reference += exact * exact;
    }
  }
}

void mlir::tern::addQuantizationError(ArrayRef<int8_t> trits, int64_t n, int64_t k,
                                      ErrorSums &sums) {
  std::vector<double> x = randomRows(k);
  std::vector<double> q(k);
  for (int64_t row = 0; row < kErrorSampleRows; ++row) {
    const double *xr = x.data() + row * k;
    // tern.quantize: s_x = 127 / max(max|x|, 1e-5), q = clamp(round(x * s_x)), in f32.
    float absMax = 0;
    for (int64_t j = 0; j < k; ++j)
      absMax = std::max(absMax, std::fabs(float(xr[j])));
    float sx = 127.0f / std::max(absMax, 1e-5f);
    for (int64_t j = 0; j < k; ++j)
      q[j] = std::clamp(std::round(float(xr[j]) * sx), -128.0f, 127.0f);
    for (int64_t i = 0; i < n; ++i) {
      double exact = signedSum(trits.data() + i * k, xr, k);
      double approximate = signedSum(trits.data() + i * k, q.data(), k) / double(sx);
      sums.difference += (approximate - exact) * (approximate - exact);
      sums.reference += exact * exact;
    }
  }
}
