//===- HLSBackend.cpp - ternc's HLS target --------------------------------===//
#include "backends/hls/HLSBackend.h"

#include "backends/hls/HLSEmitter.h"
#include "backends/hls/HLSReport.h"
#include "backends/hls/Passes.h"

#include "llvm/ADT/StringRef.h"

using namespace mlir;

namespace tern {
namespace {

constexpr const char *kDefaultProjectDir = "model_hls";

void buildHLSPasses(OpPassManager &pm, const HLSOptions &options) {
  bool layer = options.top == HLSTop::Layer;
  mlir::tern::TernHLSTargetOptions target;
  target.part = options.part;
  target.clockMHz = options.clockMHz;
  pm.addPass(mlir::tern::createTernHLSTarget(target));
  if (layer) {
    mlir::tern::TernHLSExtractLayerOptions extract;
    extract.layer = options.layer;
    pm.addPass(mlir::tern::createTernHLSExtractLayer(extract));
  }
  mlir::tern::TernHLSInterfacesOptions interfaces;
  interfaces.top = layer ? "layer" : "model";
  pm.addPass(mlir::tern::createTernHLSInterfaces(interfaces));
  pm.addPass(mlir::tern::createTernHLSDataflow());
  mlir::tern::TernHLSDirectivesOptions directives;
  directives.lanes = options.lanes;
  pm.addPass(mlir::tern::createTernHLSDirectives(directives));
}

int compileHLS(ModuleOp module, const DriverContext &ctx, const HLSOptions &options) {
  const DriverOptions &driver = ctx.options;
  if (!options.layer.empty() && options.top != HLSTop::Layer)
    return fail("--hls-layer needs --hls-top=layer");
  if (options.lanes < 1 || !(options.clockMHz > 0))
    return fail("--hls-lanes and --hls-clock-mhz must be positive");
  Stage stages[] = {{"hls-directives", "the IR with the HLS directive attributes",
                     [&options](OpPassManager &pm) { buildHLSPasses(pm, options); }}};
  if (std::optional<int> status = runStages(module, stages, ctx))
    return *status;

  FailureOr<hls::StageGraph> graph = hls::buildStageGraph(module);
  if (failed(graph))
    return fail("reading the annotated IR failed");
  FailureOr<hls::Estimate> estimate = hls::estimate(module, *graph);
  if (failed(estimate))
    return fail("estimating the HLS design failed");
  std::string report;
  llvm::raw_string_ostream reportStream(report);
  hls::printReport(reportStream, *graph, *estimate);
  if (options.report)
    llvm::outs() << report;
  // The estimate alone needs no C++: printing a large model's ROMs takes most of the time.
  if (options.report && driver.outputPath.empty() && driver.compileTo.empty())
    return 0;

  ctx.progress.step("printing the HLS C++");
  FailureOr<std::vector<hls::ProjectFile>> files = hls::emitProject(module, *graph);
  if (failed(files))
    return fail("printing the HLS project failed");
  files->push_back({"report.txt", report});
  if (driver.compileTo == "hls-cpp")
    return printText(driver, [&](llvm::raw_ostream &os) {
      for (const hls::ProjectFile &file : *files)
        if (llvm::StringRef(file.path).starts_with("src/tern_top") ||
            llvm::StringRef(file.path).starts_with("src/tern_stages"))
          os << "// ===== " << file.path << "\n" << file.contents;
    });

  std::string directory = driver.outputPath.empty() ? kDefaultProjectDir : driver.outputPath;
  ctx.progress.step("writing " + directory);
  std::string error;
  if (failed(hls::writeProject(directory, *files, error)))
    return fail(error);
  ctx.progress.step("done: " + std::to_string(files->size()) + " files; `make -C " + directory +
                    " csim` runs the C simulation");
  return 0;
}

} // namespace

Backend hlsBackend(const HLSOptions &options) {
  return Backend{
      [](llvm::StringRef target) { return target == "hls"; },
      "hls",
      {{"hls-directives", "the IR with the HLS directive attributes"},
       {"hls-cpp", "the generated C++ sources (without weights)"}},
      [options](ModuleOp module, const DriverContext &ctx) {
        return compileHLS(module, ctx, options);
      },
  };
}

} // namespace tern
