#include "function_mode.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "npy.h"
#include "tern/runtime.h"

namespace tern {
namespace {

// The runtime's dtype of each .npy dtype, in the same order as NpyDType.
struct DtypePair {
  NpyDType npy;
  tern_dtype runtime;
  const char *name;
};
constexpr DtypePair kDtypes[] = {
    {NpyDType::Float32, TERN_DTYPE_F32, "f32"}, {NpyDType::Float64, TERN_DTYPE_F64, "f64"},
    {NpyDType::Int8, TERN_DTYPE_I8, "i8"},      {NpyDType::Int16, TERN_DTYPE_I16, "i16"},
    {NpyDType::Int32, TERN_DTYPE_I32, "i32"},   {NpyDType::Int64, TERN_DTYPE_I64, "i64"},
};

const DtypePair &pairOf(NpyDType dtype) {
  for (const DtypePair &p : kDtypes)
    if (p.npy == dtype) return p;
  return kDtypes[0];
}

const DtypePair &pairOf(tern_dtype dtype) {
  for (const DtypePair &p : kDtypes)
    if (p.runtime == dtype) return p;
  return kDtypes[0];
}

std::string shapeText(const int64_t *shape, int32_t rank) {
  std::string text = "[";
  for (int32_t i = 0; i < rank; ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-run: error: %s\n", message.c_str());
  return 1;
}

// Owns the model and the result buffers.
struct Call {
  tern_model *model = nullptr;
  std::vector<tern_tensor> results;
  ~Call() {
    for (tern_tensor &r : results) tern_tensor_release(&r);
    tern_model_close(model);
  }
};

}  // namespace

int runFunctionMode(const FunctionModeOptions &options) {
  std::vector<NpyArray> arrays(options.inputs.size());
  std::vector<tern_tensor> args(options.inputs.size());
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    std::string error;
    if (!readNpy(options.inputs[i], &arrays[i], &error)) return fail(error);
    if (arrays[i].shape.size() > TERN_MAX_RANK)
      return fail(options.inputs[i] + ": rank " + std::to_string(arrays[i].shape.size()) +
                  " is more than the runtime passes (" + std::to_string(TERN_MAX_RANK) + ")");
    tern_tensor &arg = args[i];
    arg.dtype = pairOf(arrays[i].dtype).runtime;
    arg.rank = static_cast<int32_t>(arrays[i].shape.size());
    for (size_t d = 0; d < arrays[i].shape.size(); ++d) arg.shape[d] = arrays[i].shape[d];
    arg.data = arrays[i].bytes.data();
  }

  Call call;
  char errbuf[1024];
  if (tern_model_open(options.modelPath.c_str(), &call.model, errbuf, sizeof errbuf) != TERN_OK)
    return fail(errbuf);
  size_t numArgs = 0, numResults = 0;
  if (tern_model_function_arity(call.model, options.function.c_str(), &numArgs, &numResults) !=
      TERN_OK) {
    // tern_model_call says which functions there are.
    tern_model_call(call.model, options.function.c_str(), nullptr, 0, nullptr, 0, errbuf,
                    sizeof errbuf);
    return fail(errbuf);
  }
  if (numArgs != args.size())
    return fail("function " + options.function + " takes " + std::to_string(numArgs) +
                " arguments, " + std::to_string(args.size()) + " --input given");
  call.results.assign(numResults, tern_tensor{});
  if (tern_model_call(call.model, options.function.c_str(), args.data(), args.size(),
                      call.results.data(), numResults, errbuf, sizeof errbuf) != TERN_OK) {
    call.results.clear();  // nothing was allocated
    return fail(errbuf);
  }

  std::error_code ec;
  std::filesystem::create_directories(options.outputDir, ec);
  if (ec) return fail(options.outputDir + ": cannot create: " + ec.message());
  for (size_t r = 0; r < numResults; ++r) {
    const tern_tensor &result = call.results[r];
    const std::string path = (std::filesystem::path(options.outputDir) / (std::to_string(r) + ".npy")).string();
    std::vector<int64_t> shape(result.shape, result.shape + result.rank);
    std::string error;
    if (!writeNpy(path, pairOf(result.dtype).npy, result.data, shape, &error)) return fail(error);
    std::printf("%s %s %s\n", path.c_str(), pairOf(result.dtype).name,
                shapeText(result.shape, result.rank).c_str());
  }
  return 0;
}

}  // namespace tern
