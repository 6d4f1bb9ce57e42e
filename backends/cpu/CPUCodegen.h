//===- CPUCodegen.h - LLVM dialect to a loadable shared object --*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_CPUCODEGEN_H
#define TERN_BACKENDS_CPU_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace tern {

/// What the generated code is compiled for.
struct CPUTarget {
  std::string triple;
  std::string cpu;
  std::string features;

  /// The machine ternc runs on (`--target=host`).
  static CPUTarget host();
};

/// Translates an LLVM-dialect module to LLVM IR, optimises it at -O3 for
/// `target`, emits an object file and links it (ld.lld) into an ELF shared
/// object, whose bytes are returned. `llvmIR`, when given, receives the
/// optimised LLVM IR text.
llvm::Expected<std::string> emitSharedObject(mlir::ModuleOp module, const CPUTarget &target,
                                             std::string *llvmIR = nullptr);

} // namespace tern

#endif // TERN_BACKENDS_CPU_CPUCODEGEN_H
