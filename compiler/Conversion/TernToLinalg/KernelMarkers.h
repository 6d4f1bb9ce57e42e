//===- KernelMarkers.h - linalg ops a backend may hand to a kernel -*- C++ -*-===//
//
// convert-tern-to-linalg marks the linalg.generic ops that a backend may
// replace with a call of a runtime kernel (backends/cpu/KernelCalls.cpp). The
// generic stays a complete, correct lowering; the mark only says what it is.
//
#ifndef TERN_CONVERSION_TERNTOLINALG_KERNELMARKERS_H
#define TERN_CONVERSION_TERNTOLINALG_KERNELMARKERS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::tern {

/// On the generic of each tern.ternary_accumulate: the #tern.packing of its
/// weight operand (ins: x [T, K], packed weights; outs: sums [T, N]).
constexpr llvm::StringLiteral kTernaryAccumulateAttr = "tern.ternary_accumulate";

/// On the generic that sums x*x over the last dimension for an RMS norm
/// (ins: x [T, H] f32; outs: [T] f32, zero-filled). A kernel computes it in
/// NumPy's pairwise order, the reference's (examples/reference: np.mean).
constexpr llvm::StringLiteral kRowSumOfSquaresAttr = "tern.row_sum_of_squares";

} // namespace mlir::tern

#endif // TERN_CONVERSION_TERNTOLINALG_KERNELMARKERS_H
