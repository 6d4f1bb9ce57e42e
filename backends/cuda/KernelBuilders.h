//===- KernelBuilders.h - pieces the GPU kernel passes share ----*- C++ -*-===//
#ifndef TERN_BACKENDS_CUDA_KERNELBUILDERS_H
#define TERN_BACKENDS_CUDA_KERNELBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace tern::cuda {

/// Lanes of an NVIDIA warp.
inline constexpr int64_t kWarpSize = 32;

/// Marks a matrix-vector kernel of a decode step sized so that every multiprocessor holds at most
/// one of its blocks, and in which every thread waits at the same place: the single-block kernel
/// before it can run in each of its blocks (tern-gpu-fuse-prologues).
inline constexpr llvm::StringLiteral kPrologueTargetAttr = "tern.prologue_target";

/// Whether an op may lie between two kernels that are merged or fused without changing what they
/// compute: an allocation, a deallocation (moved after the result), or an op without memory
/// effects (views, constants).
bool isAllocationOrPure(mlir::Operation *op);

/// The value of a constant index, or of a static size read with memref.dim (the token count of a
/// decode step's matrix-vector kernel); std::nullopt otherwise.
std::optional<int64_t> constantOf(mlir::Value v);

/// An index constant.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Where a loop from `begin` to `end` that takes `step` iterations a round (unrolled) stops, the
/// rest going to a loop of single iterations: begin + (end - begin) / step * step.
mlir::Value unrolledEnd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value begin,
                        mlir::Value end, mlir::Value step);

/// The size `buffer` was allocated with along its dynamic dimension `dim` (an operand of its
/// gpu.alloc or memref.alloc); null when it is not such an allocation or `dim` is static.
mlir::Value allocatedSize(mlir::Value buffer, int64_t dim);

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

/// `value` combined across the warp's 32 lanes with one `redux.sync` (sm_80 and later; every lane
/// must reach it): every lane gets the total. An i32 as it is; an f32 as its bit pattern, whose
/// order as a signed integer is the float order only among non-negative numbers, NaNs of positive
/// sign and -inf (`max` of absolute values from an identity of -inf: the absmax).
mlir::Value warpRedux(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::NVVM::ReduxKind kind);

/// The value a linalg.fill wrote to `buffer` just for `consumer`: a fill of the whole buffer
/// earlier in the consumer's block, whose buffer nothing else touches between the two. The fill is
/// erased, so the kernel that replaces `consumer` must start from the returned value instead of
/// reading the buffer. std::nullopt (and nothing changed) otherwise.
std::optional<mlir::Value> takeInitialFill(mlir::Value buffer, mlir::Operation *consumer);

/// Moves the op defining `v` (and, first, those defining its operands) before `anchor` when it
/// lies after it in the same block, so that an op placed at the anchor can use `v`.
void hoistDefinition(mlir::Value v, mlir::Operation *anchor);

/// Fuses the elementwise work that follows a reducing kernel into it. `producer` is the op being
/// replaced by `kernel` (placed just before it); inside the kernel, the thread that has just stored
/// `value` at `indices` of `buffer`
/// (the builder's position) also runs each all-parallel linalg.generic that comes next in the
/// block, reads `buffer` element by element (identity map) and writes one output element per
/// iteration (identity map): it loads that generic's other inputs at the same indices, evaluates
/// its body and stores the result; the generic is erased. Repeats on the result, so a chain of such
/// generics (dequantize, then an activation) becomes part of the kernel. With `storeIf`, every
/// consumer is evaluated unconditionally (its other inputs must be loadable at `indices`) and only
/// its stores wait on `storeIf`, so that the thread can go on to exchange the values with others.
struct FusedChain {
  mlir::Value buffer; // what the last fused consumer wrote (the producer's buffer if none)
  mlir::Value value;  // and this thread's element of it
};
/// Inputs of a fused chain's consumers loaded ahead (preloadChainInputs), by operand.
using PreloadedInputs = llvm::DenseMap<mlir::OpOperand *, mlir::Value>;
/// `preloaded` gives inputs already loaded for this thread's element (at the same indices).
FusedChain fuseElementwiseConsumers(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Operation *producer, mlir::Operation *kernel,
                                    mlir::Value buffer, mlir::ValueRange indices, mlir::Value value,
                                    mlir::Value storeIf = {},
                                    const PreloadedInputs *preloaded = nullptr);

/// Loads, at the builder's position, what fuseElementwiseConsumers(producer, kernel, buffer,
/// indices) will load of its consumers' other inputs, for those `take` accepts and that the chain
/// does not write itself: a kernel can so read them before it waits for the kernel before it
/// (weights), or together with its own inputs instead of after its work (the activation scale, a
/// residual). `indices` must be valid for every thread that loads.
PreloadedInputs preloadChainInputs(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Operation *producer, mlir::Operation *kernel,
                                   mlir::Value buffer, mlir::ValueRange indices,
                                   llvm::function_ref<bool(mlir::Value)> take);

/// Whether the body of `op` touches memory itself (a gather): its accesses are then not those of
/// its operands' maps.
bool bodyTouchesMemory(mlir::linalg::LinalgOp op);

/// The generic after the elementwise chain that fuseElementwiseConsumers(producer, buffer) would
/// fuse, if it combines the chain's last buffer's two halves along the last dimension element by
/// element (the GLU: silu(gate) * up over [.., 0:H] and [.., H:2H], through two subviews) and reads
/// nothing else from memory; null otherwise. `lastBuffer` is set to the buffer whose halves it reads.
mlir::linalg::GenericOp findHalvesConsumer(mlir::Operation *producer, mlir::Value buffer,
                                           mlir::Value *lastBuffer);

/// Evaluates `consumer` (see findHalvesConsumer) inside `kernel` for one element: `low` and `high`
/// are the values of its two halves there; stores the result at `indices` of its output under
/// `storeIf`, erases the consumer.
void fuseHalvesConsumer(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *kernel,
                        mlir::linalg::GenericOp consumer, mlir::Value low, mlir::Value high,
                        mlir::ValueRange indices, mlir::Value storeIf);


/// A reducing linalg.generic the GPU passes can split over threads: its innermost loop is its only
/// reduction, and its body folds each element into the one output with `combiner` (an associative
/// arith op: addf, addi, maximumf, minimumf, maxnumf, minnumf, maxsi, minsi), f32 or i32.
struct RowReduction {
  mlir::Operation *combiner; // in the generic's body: combiner(element, %out)
  unsigned outOperand;       // which operand of the combiner is %out
  mlir::arith::AtomicRMWKind kind;
};
std::optional<RowReduction> matchRowReduction(mlir::linalg::GenericOp op);

/// combiner(element, acc) in the operand order of the reduction's combiner.
mlir::Value combine(mlir::OpBuilder &b, const RowReduction &r, mlir::Value element,
                    mlir::Value acc);

/// The indices an indexing map gives for the loop induction variables.
llvm::SmallVector<mlir::Value> applyMap(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::AffineMap map, mlir::ValueRange ivs);

/// One iteration `ivs` of a linalg op's body, built at the builder: the block arguments of memref
/// operands are loaded through their indexing maps (outputs only when the body reads them), scalar
/// operands are used as they are, `linalg.index` gives the iteration's index, and every body op but
/// `skip` is cloned. Returns the mapping, from which the yielded values can be looked up.
mlir::IRMapping buildIteration(mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::LinalgOp op,
                               mlir::ValueRange ivs, mlir::Operation *skip = nullptr);
/// buildIteration in two steps, so that the loads of several iterations can be issued before any
/// of their arithmetic: the loads (and the mapping of the block arguments), then the body.
/// `forwarded`, when given, may return for a memref operand the value its element at this
/// iteration is known to hold (the caller stored it earlier): that value is used, no load is built.
mlir::IRMapping loadIterationOperands(
    mlir::OpBuilder &b, mlir::Location loc, mlir::linalg::LinalgOp op, mlir::ValueRange ivs,
    mlir::Operation *skip = nullptr,
    llvm::function_ref<mlir::Value(mlir::OpOperand &)> forwarded = nullptr);
void cloneIterationBody(mlir::OpBuilder &b, mlir::linalg::LinalgOp op, mlir::IRMapping &mapping,
                        mlir::ValueRange ivs, mlir::Operation *skip = nullptr);

/// Combines `value` over the whole block: across each warp with shuffles, then across the warps
/// through `partials` (workgroup memory, one slot per warp); `atTotal` is built where thread 0
/// holds the total. `tid` is the thread's index in the 1-D block of `blockSize` threads and
/// `identity` the value that leaves any element unchanged.
void blockReduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value, mlir::Value partials,
                 mlir::Value tid, int64_t blockSize, mlir::Value identity,
                 llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Value, mlir::Value)> combine,
                 llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value)> atTotal);

/// One value of a block-wide reduction: its warps' totals go to slots [offset, offset + warps) of
/// `partials` (workgroup memory).
struct BlockReduction {
  mlir::Value value;
  mlir::Value partials;
  int64_t offset;
  mlir::Value identity;
  llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Value, mlir::Value)> combine;
  /// When set, each warp combines with one warpRedux of this kind instead of shuffles: it must
  /// give what `combine` gives (see warpRedux).
  std::optional<mlir::NVVM::ReduxKind> redux = std::nullopt;
};

/// Independent reductions at once: each warp combines every value, one barrier, then every warp
/// combines every value's partials, so each thread holds every total (in `reductions`' order).
llvm::SmallVector<mlir::Value> blockReduceToAll(mlir::OpBuilder &b, mlir::Location loc,
                                                llvm::ArrayRef<BlockReduction> reductions,
                                                mlir::Value tid, int64_t blockSize);

/// The same total as blockReduce's, in every thread: after the barrier every warp (not warp 0
/// alone) combines the partials, in the same order, so no thread waits for another to hand it
/// the total. `partials` must not be written again until every warp has passed a later barrier.
mlir::Value blockReduceToAll(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value value, mlir::Value partials, mlir::Value tid,
    int64_t blockSize, mlir::Value identity,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Value, mlir::Value)> combine);

/// The buffer a memref value is a view of: an allocation, a global, an argument.
mlir::Value rootOf(mlir::Value v);

/// Whether a memref is (a view of) a constant global: a weight, which no kernel writes.
bool isConstantBuffer(mlir::Value v);

/// Whether two memrefs may share memory: views of one buffer do; distinct allocations, and an
/// allocation and anything older, do not; distinct globals do not; anything else may.
bool mayAlias(mlir::Value a, mlir::Value b);

/// The buffers an op reads and writes (`unknown`: an effect on memory it cannot name).
struct Effects {
  llvm::SmallVector<mlir::Value> reads, writes;
  bool unknown = false;
};
/// What a kernel does to the buffers it takes from outside.
Effects effectsOf(mlir::gpu::LaunchOp launch);
/// What a linalg op on memrefs does.
Effects effectsOf(mlir::linalg::LinalgOp op);
/// Whether any buffer of `xs` may share memory with any of `ys` (mayAlias).
bool anyMayAlias(llvm::ArrayRef<mlir::Value> xs, llvm::ArrayRef<mlir::Value> ys);
/// Whether running `a` before `b` instead of after it leaves every buffer as it was.
bool commutes(const Effects &a, const Effects &b);

} // namespace tern::cuda

#endif // TERN_BACKENDS_CUDA_KERNELBUILDERS_H
