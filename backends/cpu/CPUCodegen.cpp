//===- CPUCodegen.cpp - LLVM dialect to a loadable shared object ----------===//
#include "backends/cpu/CPUCodegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace tern {

CPUTarget CPUTarget::host() {
  CPUTarget t;
  t.triple = llvm::sys::getDefaultTargetTriple();
  t.cpu = llvm::sys::getHostCPUName().str();
  std::string features;
  for (auto &feature : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (feature.second ? "+" : "-") + feature.first().str();
  }
  t.features = features;
  return t;
}

std::optional<CPUTarget> CPUTarget::named(llvm::StringRef name) {
  if (name == "host")
    return host();
  if (name == "x86-64-avx2")
    return CPUTarget{"x86_64-unknown-linux-gnu", "haswell", ""};
  if (name == "x86-64-avx512") // + what the base3_tiled kernels need (ternary_kernels.h)
    return CPUTarget{"x86_64-unknown-linux-gnu", "x86-64-v4", "+avx512vnni,+avx512vbmi"};
  if (name == "aarch64")
    return CPUTarget{"aarch64-unknown-linux-gnu", "generic", "+neon"};
  return std::nullopt;
}

std::string CPUTarget::defaultPacking() const {
  // The features of a named target or of the host (+name / -name, comma-separated).
  auto has = [&](llvm::StringRef feature) {
    llvm::SmallVector<llvm::StringRef> all;
    llvm::StringRef(features).split(all, ',');
    return llvm::is_contained(all, ("+" + feature).str());
  };
  const bool x86 = llvm::StringRef(triple).starts_with("x86_64");
  if (x86 && has("avx512f") && has("avx512bw") && has("avx512vnni") && has("avx512vbmi"))
    return "base3_tiled";
  if (x86 && cpu == "x86-64-v4" && has("avx512vnni") && has("avx512vbmi"))
    return "base3_tiled"; // x86-64-v4 implies F/BW
  return "two_bit_tiled";
}

const char *CPUTarget::names() { return "host, x86-64-avx2, x86-64-avx512, aarch64"; }

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

static llvm::Error linkerError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<std::string> emitSharedObject(ModuleOp module, const CPUTarget &target,
                                             std::string *llvmIR) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return linkerError("translation of the LLVM dialect to LLVM IR failed");

  llvm::Triple triple(target.triple);
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return linkerError("unknown target '" + target.triple + "': " + error);
  llvm::TargetOptions options;
  // Constructors (e.g. the CUDA backend's kernel-module load) go to .init_array, which the dynamic
  // loader runs; .ctors needs crt files that a bare ld.lld -shared link does not have.
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return linkerError("cannot create a target machine for " + target.triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return std::move(err);
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    llvmModule->print(os, nullptr);
  }

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager passes;
    if (machine->addPassesToEmitFile(passes, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return linkerError("the target cannot emit object files");
    passes.run(*llvmModule);
  }

  // Link into a shared object with ld.lld; undefined symbols (libm) resolve
  // against the loading process.
  TempFile obj, so;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("tern", "o", fd, obj.path))
    return linkerError("cannot create a temporary object file: " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("tern", "so", so.path))
    return linkerError("cannot create a temporary shared object: " + ec.message());
  llvm::ErrorOr<std::string> lld = llvm::sys::findProgramByName("ld.lld", {TERN_LLD_DIR});
  if (!lld)
    lld = llvm::sys::findProgramByName("ld.lld");
  if (!lld)
    return linkerError("ld.lld not found (install lld-22); looked in " TERN_LLD_DIR " and PATH");
  llvm::SmallVector<llvm::StringRef> args{*lld, "-shared", "--hash-style=gnu", "-o", so.path,
                                          obj.path};
  std::string message;
  if (llvm::sys::ExecuteAndWait(*lld, args, std::nullopt, {}, 0, 0, &message) != 0)
    return linkerError("linking the generated code failed: " + message);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes = llvm::MemoryBuffer::getFile(so.path);
  if (!bytes)
    return linkerError("cannot read the linked shared object: " + bytes.getError().message());
  return (*bytes)->getBuffer().str();
}

} // namespace tern
