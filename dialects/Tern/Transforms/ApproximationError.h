//===- ApproximationError.h - error of the opt-in approximations -*- C++ -*-===//
//
// tern-eliminate-matmul's opt-ins (ternarize-float-weights,
// quantize-activations) change results; each reports, per op, the relative
// error it introduced on random inputs. These functions measure it in
// double precision on seeded standard-normal activation rows, so the number
// is the same on every run.
//
#ifndef TERN_TRANSFORMS_APPROXIMATIONERROR_H
#define TERN_TRANSFORMS_APPROXIMATIONERROR_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace mlir::tern {

/// Random activation rows per estimate.
inline constexpr int64_t kErrorSampleRows = 16;

/// Sums of squares over the outputs of one or more weight matrices, so a
/// batch of matrices gives one relative error.
struct ErrorSums {
  double difference = 0; // sum (approximate - exact)^2
  double reference = 0;  // sum exact^2
  /// ||approximate - exact|| / ||exact|| (0 when both are 0).
  double relative() const;
};

/// Adds the error of y' = scale * (x . trits^T) against y = x . weights^T,
/// weights and trits [N, K] row-major.
void addTernarizationError(ArrayRef<float> weights, ArrayRef<int8_t> trits, double scale,
                           int64_t n, int64_t k, ErrorSums &sums);

/// Adds the error that int8 absmax quantisation of the activations (as
/// tern.quantize does it) adds to y = x . trits^T, trits [N, K].
void addQuantizationError(ArrayRef<int8_t> trits, int64_t n, int64_t k, ErrorSums &sums);

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_APPROXIMATIONERROR_H
