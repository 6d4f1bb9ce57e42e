//===- Registration.h - every dialect and pass tern's tools use -*- C++ -*-===//
#ifndef TERN_COMPILER_REGISTRATION_H
#define TERN_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tern {
/// The tern dialect, every upstream dialect and their extensions/interfaces.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Tern's passes and conversions and every upstream pass.
void registerAllPasses();
} // namespace tern

#endif // TERN_COMPILER_REGISTRATION_H
