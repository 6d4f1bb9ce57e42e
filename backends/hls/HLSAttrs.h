//===- HLSAttrs.h - the attributes the HLS passes set -----------*- C++ -*-===//
//
// The passes of Passes.td decide; the emitter prints. These are the names of
// what passes between them: attribute names, and the loop labels and
// variable names of the stage functions that the attributes refer to
// (docs/hls.md has the table).
//
#ifndef TERN_BACKENDS_HLS_HLSATTRS_H
#define TERN_BACKENDS_HLS_HLSATTRS_H

#include "llvm/ADT/StringRef.h"

namespace tern::hls {

// Module: the device (tern-hls-target).
inline constexpr llvm::StringLiteral kPartAttr = "hls.part";
inline constexpr llvm::StringLiteral kClockAttr = "hls.clock_mhz";

// The top function (tern-hls-interfaces, tern-hls-dataflow).
inline constexpr llvm::StringLiteral kTopAttr = "hls.top"; // "model" or "layer"
inline constexpr llvm::StringLiteral kInterfaceAttr = "hls.interface";
inline constexpr llvm::StringLiteral kMaxTokensAttr = "hls.max_tokens";
inline constexpr llvm::StringLiteral kDataflowAttr = "hls.dataflow";
inline constexpr llvm::StringLiteral kTopModel = "model";
inline constexpr llvm::StringLiteral kTopLayer = "layer";

// Stage ops (tern-hls-dataflow, tern-hls-directives).
inline constexpr llvm::StringLiteral kStageAttr = "hls.stage";
inline constexpr llvm::StringLiteral kStreamDepthAttr = "hls.stream_depth";
inline constexpr llvm::StringLiteral kLoopsAttr = "hls.loops";
inline constexpr llvm::StringLiteral kArrayPartitionAttr = "hls.array_partition";
inline constexpr llvm::StringLiteral kBindStorageAttr = "hls.bind_storage";
inline constexpr llvm::StringLiteral kBindOpAttr = "hls.bind_op";
inline constexpr llvm::StringLiteral kBytesPerCycleAttr = "hls.bytes_per_cycle";
inline constexpr llvm::StringLiteral kAccBitsAttr = "hls.acc_bits";

// Keys of one loop's entry in hls.loops.
inline constexpr llvm::StringLiteral kPipelineII = "pipeline_ii";
inline constexpr llvm::StringLiteral kUnroll = "unroll"; // 0: complete

// Loops of the model top's wrapper (labels in hls.loops of the function).
namespace loop {
inline constexpr llvm::StringLiteral kLoadState = "load_state";
inline constexpr llvm::StringLiteral kStoreState = "store_state";
inline constexpr llvm::StringLiteral kWriteLogits = "write_logits";
} // namespace loop

// Arrays of the stage functions that directives name.
namespace var {
inline constexpr llvm::StringLiteral kTable = "table";   // embedding ROM
inline constexpr llvm::StringLiteral kTrits = "trits";   // packed trit ROM
inline constexpr llvm::StringLiteral kQ = "q";           // int8 activation row
inline constexpr llvm::StringLiteral kAcc = "acc";       // a row's integer accumulator
inline constexpr llvm::StringLiteral kPartial = "partial"; // one clock's sum of trit lanes
} // namespace var

} // namespace tern::hls

#endif // TERN_BACKENDS_HLS_HLSATTRS_H
