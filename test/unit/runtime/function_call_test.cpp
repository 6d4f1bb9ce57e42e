// tern_model_call on artifacts of kind "mlir" whose code is fake_module.c: signatures checked on
// the way in and out, results copied out dense (strided and 0-d ones too), ABI breaks reported.
#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tern/artifact.h"
#include "tern/runtime.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;

const char kModuleManifest[] = R"({
  "format_version": 1, "kind": "mlir", "abi": "memref-v1",
  "functions": [
    {"name": "add", "symbol": "_mlir_ciface_add",
     "arguments": [{"dtype": "f32", "shape": [-1]}, {"dtype": "f32", "shape": [-1]}],
     "results": [{"dtype": "f32", "shape": [-1]}]},
    {"name": "split", "symbol": "_mlir_ciface_split",
     "arguments": [{"dtype": "i32", "shape": [4]}],
     "results": [{"dtype": "i32", "shape": [2]}, {"dtype": "f64", "shape": []}]},
    {"name": "transpose", "symbol": "_mlir_ciface_transpose",
     "arguments": [{"dtype": "f32", "shape": [2, 3]}],
     "results": [{"dtype": "f32", "shape": [3, 2]}]},
    {"name": "aliases", "symbol": "_mlir_ciface_aliases",
     "arguments": [{"dtype": "f32", "shape": [4]}], "results": [{"dtype": "f32", "shape": [4]}]},
    {"name": "bad_shape", "symbol": "_mlir_ciface_bad_shape",
     "arguments": [{"dtype": "f32", "shape": [4]}], "results": [{"dtype": "f32", "shape": [4]}]}
  ]
})";

tern_tensor tensor(tern_dtype dtype, std::vector<int64_t> shape, void *data) {
  tern_tensor t{};
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t.shape[i] = shape[i];
  t.data = data;
  return t;
}

class FunctionCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<unsigned char> code = readBytes(TERN_FAKE_MODULE_PATH);
    const unsigned char weights[3] = {1, 2, 3};
    std::string error;
    ASSERT_TRUE(writeArtifact(dir.file("m.tern"), kModuleManifest, code.data(), code.size(),
                              weights, sizeof weights, &error))
        << error;
    char errbuf[512];
    ASSERT_EQ(tern_model_open(dir.file("m.tern").c_str(), &model, errbuf, sizeof errbuf), TERN_OK)
        << errbuf;
  }
  void TearDown() override { tern_model_close(model); }

  ScratchDir dir;
  tern_model *model = nullptr;
  char errbuf[512] = {};
};

TEST_F(FunctionCallTest, ListsTheFunctions) {
  ASSERT_EQ(tern_model_function_count(model), 5u);
  EXPECT_STREQ(tern_model_function_name(model, 0), "add");
  EXPECT_STREQ(tern_model_function_name(model, 4), "bad_shape");
  EXPECT_EQ(tern_model_function_name(model, 5), nullptr);
  size_t args = 0, results = 0;
  ASSERT_EQ(tern_model_function_arity(model, "split", &args, &results), TERN_OK);
  EXPECT_EQ(args, 1u);
  EXPECT_EQ(results, 2u);
  EXPECT_EQ(tern_model_function_arity(model, "nope", &args, &results), TERN_ERROR_INVALID_ARGUMENT);
}

TEST_F(FunctionCallTest, PassesDynamicShapesAndTheWeights) {
  float a[5] = {1, 2, 3, 4, 5}, b[5] = {10, 20, 30, 40, 50};
  tern_tensor args[2] = {tensor(TERN_DTYPE_F32, {5}, a), tensor(TERN_DTYPE_F32, {5}, b)};
  tern_tensor result{};
  ASSERT_EQ(tern_model_call(model, "add", args, 2, &result, 1, errbuf, sizeof errbuf), TERN_OK)
      << errbuf;
  ASSERT_EQ(result.rank, 1);
  ASSERT_EQ(result.shape[0], 5);
  const float *y = static_cast<const float *>(result.data);
  EXPECT_THAT(std::vector<float>(y, y + 5), ::testing::ElementsAre(12, 24, 36, 44, 55));
  tern_tensor_release(&result);
  EXPECT_EQ(result.data, nullptr);
}

TEST_F(FunctionCallTest, ReturnsSeveralResultsAndRankZero) {
  int32_t x[4] = {7, -3, 5, 1};
  tern_tensor arg = tensor(TERN_DTYPE_I32, {4}, x);
  tern_tensor results[2] = {};
  ASSERT_EQ(tern_model_call(model, "split", &arg, 1, results, 2, errbuf, sizeof errbuf), TERN_OK)
      << errbuf;
  EXPECT_EQ(results[0].dtype, TERN_DTYPE_I32);
  EXPECT_EQ(static_cast<int32_t *>(results[0].data)[0], 7);
  EXPECT_EQ(static_cast<int32_t *>(results[0].data)[1], -3);
  EXPECT_EQ(results[1].dtype, TERN_DTYPE_F64);
  EXPECT_EQ(results[1].rank, 0);
  EXPECT_EQ(*static_cast<double *>(results[1].data), 10.0);
  tern_tensor_release(&results[0]);
  tern_tensor_release(&results[1]);
}

TEST_F(FunctionCallTest, CopiesStridedResultsOutDense) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  tern_tensor arg = tensor(TERN_DTYPE_F32, {2, 3}, x);
  tern_tensor result{};
  ASSERT_EQ(tern_model_call(model, "transpose", &arg, 1, &result, 1, errbuf, sizeof errbuf), TERN_OK)
      << errbuf;
  const float *y = static_cast<const float *>(result.data);
  EXPECT_THAT(std::vector<float>(y, y + 6), ::testing::ElementsAre(1, 4, 2, 5, 3, 6));
  tern_tensor_release(&result);
}

TEST_F(FunctionCallTest, RefusesArgumentsThatDoNotMatch) {
  float x[6] = {};
  int32_t ids[4] = {};
  tern_tensor result{};
  tern_tensor wrongShape = tensor(TERN_DTYPE_F32, {3, 2}, x);
  EXPECT_EQ(tern_model_call(model, "transpose", &wrongShape, 1, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("function transpose: argument 0 must have shape [2, 3], got [3, 2]"));
  tern_tensor wrongDtype = tensor(TERN_DTYPE_I32, {2, 3}, ids);
  EXPECT_EQ(tern_model_call(model, "transpose", &wrongDtype, 1, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("argument 0 must be f32, got i32"));
  EXPECT_EQ(tern_model_call(model, "transpose", &wrongShape, 0, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("takes 1 arguments, got 0"));
  tern_tensor arg = tensor(TERN_DTYPE_F32, {2, 3}, x);
  EXPECT_EQ(tern_model_call(model, "transpose", &arg, 1, &result, 2, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("returns 1 results, room for 2 given"));
  EXPECT_EQ(tern_model_call(model, "nope", &arg, 1, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("no function \"nope\" (it has: add, split, transpose, aliases, bad_shape)"));
}

TEST_F(FunctionCallTest, ReportsResultsThatBreakTheAbi) {
  float x[4] = {1, 2, 3, 4};
  tern_tensor arg = tensor(TERN_DTYPE_F32, {4}, x);
  tern_tensor result{};
  EXPECT_EQ(tern_model_call(model, "aliases", &arg, 1, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_EXECUTION);
  EXPECT_THAT(errbuf, HasSubstr("function aliases broke the ABI: result 0 is a buffer the runtime passed in"));
  EXPECT_EQ(tern_model_call(model, "bad_shape", &arg, 1, &result, 1, errbuf, sizeof errbuf),
            TERN_ERROR_EXECUTION);
  EXPECT_THAT(errbuf, HasSubstr("result 0 has shape [5], expected [4]"));
  EXPECT_EQ(x[0], 1);  // the caller's data is untouched
}

TEST_F(FunctionCallTest, AModuleIsNotAModel) {
  tern_session *session = nullptr;
  ASSERT_EQ(tern_session_create(model, &session), TERN_OK);
  int32_t id = 0;
  EXPECT_EQ(tern_session_forward(session, &id, 1, TERN_LOGITS_NONE, nullptr, errbuf, sizeof errbuf),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf, HasSubstr("holds compiled functions (kind \"mlir\"), not a model"));
  tern_session_destroy(session);
}

TEST(FunctionManifestTest, RefusesBadSignatures) {
  struct Case {
    const char *functions;
    const char *expected;
  } cases[] = {
      {R"([])", "member \"functions\" must be a non-empty array"},
      {R"([{"name": "f", "symbol": "s", "arguments": [{"dtype": "f16", "shape": [1]}], "results": []}])",
       "member \"functions[0].arguments[0].dtype\" must be one of f32, f64, i8, i16, i32, i64"},
      {R"([{"name": "f", "symbol": "s", "arguments": [{"dtype": "f32", "shape": [-2]}], "results": []}])",
       "functions[0].arguments[0].shape\" holds -2, expected sizes >= -1"},
      {R"([{"name": "f", "symbol": "s", "arguments": [], "results": [{"dtype": "f32", "shape": [1,1,1,1,1,1,1,1,1]}]}])",
       "functions[0].results[0].shape\" must be an array of at most 8 sizes"},
      {R"([{"symbol": "s", "arguments": [], "results": []}])", "member \"functions[0].name\" is missing"},
  };
  for (const Case &c : cases) {
    std::string manifest = std::string(R"({"format_version": 1, "kind": "mlir", "functions": )") +
                           c.functions +
                           R"(, "checksums": {"algorithm": "crc32", "code": "0x0", "weights": "0x0"}})";
    ArtifactManifest parsed;
    std::string why;
    EXPECT_FALSE(parseArtifactManifest(manifest, &parsed, &why)) << c.functions;
    EXPECT_THAT(why, HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace tern::test
