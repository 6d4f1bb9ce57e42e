//===- KernelBuilders.h - pieces the GPU kernel passes share ----*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_KERNELBUILDERS_H
#define TERN_BACKENDS_CUDA_KERNELBUILDERS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

namespace tern::cuda {

/// Lanes of an NVIDIA warp.
inline constexpr int64_t kWarpSize = 32;

/// An index constant.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Creates `gpu.launch` with a 1-D block of `threads` threads on grid
/// (gridX, gridY, 1), optional workgroup buffers, and an empty body that ends
/// in gpu.terminator; the builder is left at the start of the body.
mlir::gpu::LaunchOp createLaunch(mlir::OpBuilder &b, mlir::Location loc, mlir::Value gridX,
                                 mlir::Value gridY, int64_t threads,
                                 mlir::TypeRange workgroupBuffers = {});

/// Combines `value` across the 32 lanes of each warp with xor shuffles; every
/// lane gets the total. `combine(a, b)` builds one combination.
mlir::Value warpReduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                       llvm::function_ref<mlir::Value(mlir::Value, mlir::Value)> combine);

/// The value a linalg.fill wrote to `buffer` just for `consumer`: a fill of the whole buffer
/// earlier in the consumer's block, whose buffer nothing else touches between the two. The fill is
/// erased, so the kernel that replaces `consumer` must start from the returned value instead of
/// reading the buffer. std::nullopt (and nothing changed) otherwise.
std::optional<mlir::Value> takeInitialFill(mlir::Value buffer, mlir::Operation *consumer);

/// Fuses the elementwise work that follows a reducing kernel into it. `producer` is the op being
/// replaced by `kernel` (placed just before it); inside the kernel, the thread that has just stored
/// `value` at `indices` of `buffer`
/// (the builder's position) also runs each all-parallel linalg.generic that comes next in the
/// block, reads `buffer` element by element (identity map) and writes one output element per
/// iteration (identity map): it loads that generic's other inputs at the same indices, evaluates
/// its body and stores the result; the generic is erased. Repeats on the result, so a chain of such
/// generics (dequantize, then an activation) becomes part of the kernel. Returns how many it fused.
int fuseElementwiseConsumers(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *producer,
                             mlir::Operation *kernel, mlir::Value buffer, mlir::ValueRange indices,
                             mlir::Value value);

} // namespace tern::cuda

#endif // TERN_BACKENDS_CUDA_KERNELBUILDERS_H
