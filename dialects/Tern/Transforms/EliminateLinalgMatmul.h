//===- EliminateLinalgMatmul.h - linalg contractions to tern ----*- C++ -*-===//
#ifndef TERN_TRANSFORMS_ELIMINATELINALGMATMUL_H
#define TERN_TRANSFORMS_ELIMINATELINALGMATMUL_H

#include "mlir/IR/Operation.h"

namespace mlir::tern {

/// The opt-ins of tern-eliminate-matmul that change results.
struct LinalgMatmulOptions {
  /// int8 absmax activations (tern.quantize / tern.dequantize) for f32
  /// contractions.
  bool quantizeActivations = false;
  /// absmean ternarisation of float constants that are not ternary.
  bool ternarizeFloatWeights = false;
};

/// Rewrites every linalg contraction under `root` (linalg.matmul, matvec,
/// vecmat, batch_matmul, or a linalg.generic that multiplies two inputs and
/// accumulates) whose weight operand is a constant with values in
/// {-s, 0, +s} into tern.ternary_accumulate ops; emits a remark on every
/// contraction it leaves alone, saying why, and on every opt-in it applies,
/// with the relative error that opt-in introduced on random inputs.
void eliminateLinalgMatmuls(Operation *root, const LinalgMatmulOptions &options);

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_ELIMINATELINALGMATMUL_H
