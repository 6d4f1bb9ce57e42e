//===- CPUBackend.h - ternc's CPU target --------------------------*- C++ -*-===//
#ifndef TERN_BACKENDS_CPU_CPUBACKEND_H
#define TERN_BACKENDS_CPU_CPUBACKEND_H

#include "compiler/Driver/Driver.h"

namespace tern {

/// `--target=host`: tern -> linalg -> bufferized memrefs -> LLVM -> a shared
/// object, written with the weights as a .tern artifact.
Backend cpuBackend();

} // namespace tern

#endif // TERN_BACKENDS_CPU_CPUBACKEND_H
