//===- HGRNImporter.h - HGRNBit checkpoint to tern graph IR -----*- C++ -*-===//
#ifndef TERN_COMPILER_IMPORT_HGRNIMPORTER_H
#define TERN_COMPILER_IMPORT_HGRNIMPORTER_H

#include "compiler/Import/Checkpoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace tern {

/// Names of the functions the importer makes (and the runtime calls).
inline constexpr const char *kPrefillFunction = "tern_prefill";
inline constexpr const char *kDecodeFunction = "tern_decode";
inline constexpr const char *kDecodeBatchFunction = "tern_decode_batch";

/// Builds the tern graph IR of a whole HGRNBit model:
///   func @tern_prefill(%ids: tensor<?xi32>, %state: tensor<LxHxf32>)
///       -> (tensor<?xVxf32>, tensor<LxHxf32>)
///   func @tern_decode(%ids: tensor<1xi32>, %state: tensor<LxHxf32>)
///       -> (tensor<1xVxf32>, tensor<LxHxf32>)
///   func @tern_decode_batch(%ids: tensor<?xi32>, %state: tensor<?xLxHxf32>)
///       -> (tensor<?xVxf32>, tensor<?xLxHxf32>)
/// The last takes one token of each of B independent sequences and their B
/// states (one decode step each). All three read the same weight constants
/// (one attribute per checkpoint tensor), so the artifact holds them once.
/// Weights become dense resources that point into the checkpoint's mapping
/// where their alignment allows (no copy), so `checkpoint` must outlive the
/// module's context use of them.
mlir::OwningOpRef<mlir::ModuleOp> importHGRNBit(mlir::MLIRContext &context,
                                                const Checkpoint &checkpoint);

} // namespace tern

#endif // TERN_COMPILER_IMPORT_HGRNIMPORTER_H
