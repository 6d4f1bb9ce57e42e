// MLIR text -> the parser and verifier, with the tern dialect and the upstream
// dialects tern IR is written in (builtin, func, arith, tensor).
//
// Oracle: no crash or sanitizer report; a module that parses and verifies
// prints, and the printed text parses and verifies again (the round trip
// test/Dialect/Tern/ops.mlir checks for the hand-written cases); folding any
// tern op does not crash.
//
// Why not every upstream dialect (tern-opt registers them all): this target is
// for tern's parsers, printers and verifiers; upstream dialects are fuzzed
// upstream (mlir-parser-fuzzer), and a crash inside one would be noise here.
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>

namespace {

const mlir::DialectRegistry &registry() {
  static const mlir::DialectRegistry *instance = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<mlir::tern::TernDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
              mlir::tensor::TensorDialect>();
    return r;
  }();
  return *instance;
}

mlir::OwningOpRef<mlir::ModuleOp> parseAndVerify(const std::string &text,
                                                 mlir::MLIRContext &context) {
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config, "fuzz.mlir");
  if (!module || mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A std::string is NUL-terminated, as the buffers tern-opt reads files into
  // are: MLIR's lexer finds the end of its buffer by that NUL.
  const std::string text(reinterpret_cast<const char *>(data), size);
  mlir::MLIRContext context(registry(), mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module = parseAndVerify(text, context);
  if (!module)
    return 0;

  module->walk([](mlir::Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "tern") {
      llvm::SmallVector<mlir::OpFoldResult> results;
      (void)op->fold(results);
    }
  });

  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  os.flush();
  if (!parseAndVerify(printed, context)) {
    std::fprintf(stderr, "mlir fuzzer: the printed module does not parse and verify:\n%s\n",
                 printed.c_str());
    std::abort();
  }
  return 0;
}
