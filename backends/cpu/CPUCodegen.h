//===- CPUCodegen.h - LLVM dialect to a loadable shared object --*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_CPUCODEGEN_H
#define TERN_BACKENDS_CPU_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace tern {

/// What the generated code is compiled for.
struct CPUTarget {
  std::string triple;
  std::string cpu;
  std::string features;

  /// The machine ternc runs on (`--target=host`).
  static CPUTarget host();

  /// A `--target` name: `host`, `x86-64-avx2` (Haswell and later),
  /// `x86-64-avx512` (x86-64-v4: AVX-512 F/BW/CD/DQ/VL, plus VNNI and VBMI:
  /// Ice Lake, Zen 4 and later), `aarch64` (ARMv8-A with NEON). The generated
  /// code uses that ISA; the runtime picks the microkernels from the CPU it
  /// runs on. std::nullopt for other names.
  static std::optional<CPUTarget> named(llvm::StringRef name);

  /// The trit layout (#tern.packing) of the microkernels that are fastest on
  /// this target: base3_tiled (1.6 bits a trit) where the AVX-512 VBMI + VNNI
  /// kernels run, two_bit_tiled elsewhere (docs/performance.md, "Weight
  /// layout").
  std::string defaultPacking() const;

  /// The names `named` accepts, for --help and errors.
  static const char *names();
};

/// Translates an LLVM-dialect module to LLVM IR, optimises it at -O3 for
/// `target`, emits an object file and links it (ld.lld) into an ELF shared
/// object, whose bytes are returned. `llvmIR`, when given, receives the
/// optimised LLVM IR text.
llvm::Expected<std::string> emitSharedObject(mlir::ModuleOp module, const CPUTarget &target,
                                             std::string *llvmIR = nullptr);

} // namespace tern

#endif // TERN_BACKENDS_CPU_CPUCODEGEN_H
