//===- LaunchSites.h - where the host code launches each kernel -----------===//
//
// Some CUDA passes treat a kernel differently when only certain host
// functions launch it (the decode step's kernels, batch decode's). This maps
// every kernel of a GPU module to what its launches have in common.
//
#ifndef TERN_BACKENDS_CUDA_LAUNCHSITES_H
#define TERN_BACKENDS_CUDA_LAUNCHSITES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace mlir::tern {

/// What every `gpu.launch_func` of one kernel has in common.
struct KernelLaunchSites {
  /// Every launch is in one of the functions asked about.
  bool onlyFromFunctions = true;
  /// The constant grid size along x of every launch; std::nullopt when one is not constant or
  /// two differ.
  std::optional<int64_t> gridX;
};

/// For each kernel of `gpuModule` that the host code of its parent module launches, by kernel
/// name: whether only `functions` launch it, and the grid x its launches share. Kernels that are
/// never launched have no entry; without a parent module the map is empty.
llvm::StringMap<KernelLaunchSites> kernelLaunchSites(gpu::GPUModuleOp gpuModule,
                                                     llvm::ArrayRef<std::string> functions);

} // namespace mlir::tern

#endif // TERN_BACKENDS_CUDA_LAUNCHSITES_H
