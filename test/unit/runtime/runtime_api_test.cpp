// The C API of tern/runtime.h, run on artifacts built from the fake model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_model_reference.h"
#include "tern/artifact.h"
#include "tern/runtime.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr size_t kStateSize = kFakeLayers * kFakeHidden;

class RuntimeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("fake.tern");
    ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path_, fakeModelPath(), fakeEmbedding()));
    ASSERT_EQ(tern_model_open(path_.c_str(), &model_, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
    ASSERT_EQ(tern_session_create(model_, &session_), TERN_OK);
  }
  void TearDown() override {
    tern_session_destroy(session_);
    tern_model_close(model_);
  }

  std::vector<float> forward(tern_session *session, const std::vector<int32_t> &ids,
                             tern_logits which = TERN_LOGITS_ALL) {
    std::vector<float> logits(which == TERN_LOGITS_ALL ? ids.size() * kFakeVocab : kFakeVocab);
    EXPECT_EQ(tern_session_forward(session, ids.data(), ids.size(), which, logits.data(), errbuf_,
                                   sizeof errbuf_),
              TERN_OK)
        << errbuf_;
    return logits;
  }
  std::vector<float> state(tern_session *session) {
    std::vector<float> out(kStateSize);
    EXPECT_EQ(tern_session_get_state(session, out.data(), out.size()), TERN_OK);
    return out;
  }

  ScratchDir dir_;
  std::string path_;
  tern_model *model_ = nullptr;
  tern_session *session_ = nullptr;
  char errbuf_[512] = {};
};

TEST_F(RuntimeApiTest, InfoComesFromTheManifest) {
  tern_model_info_t info;
  ASSERT_EQ(tern_model_info(model_, &info), TERN_OK);
  EXPECT_EQ(info.vocab_size, kFakeVocab);
  EXPECT_EQ(info.hidden_size, kFakeHidden);
  EXPECT_EQ(info.num_layers, kFakeLayers);
  EXPECT_EQ(info.bos_token_id, 1);
  EXPECT_EQ(info.eos_token_id, 2);
}

TEST_F(RuntimeApiTest, PrefillLogitsMatchReference) {
  const std::vector<int32_t> ids = {5, 1, 7, 0, 3};
  FakeModelReference reference{fakeEmbedding()};
  const std::vector<float> expected = reference.run(ids);
  const std::vector<float> logits = forward(session_, ids);
  ASSERT_EQ(logits.size(), expected.size());
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_FLOAT_EQ(logits[i], expected[i]) << "at " << i;
  const std::vector<float> st = state(session_);
  for (size_t i = 0; i < kStateSize; ++i) EXPECT_FLOAT_EQ(st[i], reference.state[i]);
}

TEST_F(RuntimeApiTest, PrefillEqualsTokenByTokenDecode) {
  const std::vector<int32_t> ids = {2, 6, 6, 4, 1, 0, 7};
  const std::vector<float> prefill = forward(session_, ids);
  const std::vector<float> prefillState = state(session_);

  tern_session *stepwise = nullptr;
  ASSERT_EQ(tern_session_create(model_, &stepwise), TERN_OK);
  for (size_t t = 0; t < ids.size(); ++t) {
    const std::vector<float> row = forward(stepwise, {ids[t]}, TERN_LOGITS_LAST);
    for (int v = 0; v < kFakeVocab; ++v)
      EXPECT_EQ(row[v], prefill[t * kFakeVocab + v]) << "token " << t << ", id " << v;
  }
  EXPECT_EQ(state(stepwise), prefillState);
  tern_session_destroy(stepwise);
}

TEST_F(RuntimeApiTest, StateCarriesAcrossPrefillChunks) {
  const std::vector<int32_t> ids = {3, 1, 4, 1, 5, 2};
  const std::vector<float> whole = forward(session_, ids);
  tern_session *chunked = nullptr;
  ASSERT_EQ(tern_session_create(model_, &chunked), TERN_OK);
  std::vector<float> first = forward(chunked, {3, 1, 4});
  std::vector<float> second = forward(chunked, {1, 5, 2});
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, whole);
  tern_session_destroy(chunked);
}

TEST_F(RuntimeApiTest, LastAndNoneModes) {
  const std::vector<float> all = forward(session_, {1, 2, 3});
  tern_session_reset(session_);
  const std::vector<float> last = forward(session_, {1, 2, 3}, TERN_LOGITS_LAST);
  EXPECT_EQ(last, std::vector<float>(all.end() - kFakeVocab, all.end()));

  const std::vector<float> afterLast = state(session_);
  tern_session_reset(session_);
  const int32_t ids[] = {1, 2, 3};
  ASSERT_EQ(tern_session_forward(session_, ids, 3, TERN_LOGITS_NONE, nullptr, errbuf_, sizeof errbuf_),
            TERN_OK)
      << errbuf_;
  EXPECT_EQ(state(session_), afterLast);  // NONE still advances the state
}

TEST_F(RuntimeApiTest, ResetReturnsToZeroState) {
  const std::vector<float> fresh = forward(session_, {4, 2});
  forward(session_, {7});
  tern_session_reset(session_);
  EXPECT_EQ(state(session_), std::vector<float>(kStateSize, 0.0f));
  EXPECT_EQ(forward(session_, {4, 2}), fresh);
}

TEST_F(RuntimeApiTest, RejectsOutOfRangeIdsBeforeRunningAndKeepsState) {
  forward(session_, {1, 2});
  const std::vector<float> before = state(session_);
  std::vector<float> logits(3 * kFakeVocab);
  for (int32_t bad : {kFakeVocab, -1, 1 << 30}) {
    const int32_t ids[] = {0, bad, 1};
    EXPECT_EQ(tern_session_forward(session_, ids, 3, TERN_LOGITS_ALL, logits.data(), errbuf_,
                                   sizeof errbuf_),
              TERN_ERROR_INVALID_ARGUMENT);
    EXPECT_THAT(errbuf_, HasSubstr("token id " + std::to_string(bad) + " at position 1"));
    EXPECT_THAT(errbuf_, HasSubstr("vocabulary size 8"));
  }
  const int32_t single = kFakeVocab;
  EXPECT_EQ(tern_session_forward(session_, &single, 1, TERN_LOGITS_LAST, logits.data(), errbuf_,
                                 sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(state(session_), before);
}

TEST_F(RuntimeApiTest, RejectsBadArguments) {
  const int32_t id = 1;
  float logits[kFakeVocab];
  EXPECT_EQ(tern_session_forward(session_, &id, 0, TERN_LOGITS_LAST, logits, errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf_, HasSubstr("no token ids"));
  EXPECT_EQ(tern_session_forward(session_, &id, 1, TERN_LOGITS_LAST, nullptr, errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tern_session_forward(session_, nullptr, 1, TERN_LOGITS_LAST, logits, errbuf_, 0),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tern_session_forward(session_, &id, 1, static_cast<tern_logits>(7), logits, nullptr, 0),
            TERN_ERROR_INVALID_ARGUMENT);
  std::vector<float> wrongCount(kStateSize + 1);
  EXPECT_EQ(tern_session_get_state(session_, wrongCount.data(), wrongCount.size()),
            TERN_ERROR_INVALID_ARGUMENT);
  tern_session *session = nullptr;
  EXPECT_EQ(tern_session_create(nullptr, &session), TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(session, nullptr);
}

TEST_F(RuntimeApiTest, ErrorMessagesAreTruncatedAndTerminated) {
  char tiny[8];
  const int32_t id = 99;
  float logits[kFakeVocab];
  EXPECT_EQ(tern_session_forward(session_, &id, 1, TERN_LOGITS_LAST, logits, tiny, sizeof tiny),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(tiny, "token i");
}

TEST_F(RuntimeApiTest, SessionKeepsModelLoadedAfterClose) {
  tern_model_close(model_);
  model_ = nullptr;
  FakeModelReference reference{fakeEmbedding()};
  EXPECT_EQ(forward(session_, {6, 3}), reference.run({6, 3}));
}

TEST_F(RuntimeApiTest, TwoModelsWithDifferentCodeEachRunTheirOwn) {
  // Loads, unloads and reloads so that a memfd number is reused while another library is loaded:
  // the runtime must never hand one model another model's code.
  const std::string v2Path = dir_.file("v2.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(v2Path, fakeModelV2Path(), fakeEmbedding(0.5f)));
  FakeModelReference ref1{fakeEmbedding()};
  FakeModelReference ref2{fakeEmbedding(0.5f), 2.0f};
  const std::vector<int32_t> ids = {1, 5, 3};
  const std::vector<float> expected1 = ref1.run(ids), expected2 = ref2.run(ids);
  ASSERT_NE(expected1, expected2);
  for (int round = 0; round < 3; ++round) {
    tern_model *v2 = nullptr;
    ASSERT_EQ(tern_model_open(v2Path.c_str(), &v2, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
    tern_session *s2 = nullptr;
    ASSERT_EQ(tern_session_create(v2, &s2), TERN_OK);
    tern_session_reset(session_);
    EXPECT_EQ(forward(s2, ids), expected2) << "round " << round;
    EXPECT_EQ(forward(session_, ids), expected1) << "round " << round;
    tern_session_destroy(s2);
    tern_model_close(v2);
  }
}

TEST_F(RuntimeApiTest, BrokenAbiIsReportedAndStateKept) {
  const std::string path = dir_.file("broken.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path, fakeModelBrokenPath(), fakeEmbedding()));
  tern_model *broken = nullptr;
  ASSERT_EQ(tern_model_open(path.c_str(), &broken, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
  tern_session *session = nullptr;
  ASSERT_EQ(tern_session_create(broken, &session), TERN_OK);
  forward(session, {1, 2});  // prefill keeps the ABI in this variant
  const std::vector<float> before = state(session);
  const int32_t id = 3;
  float logits[kFakeVocab];
  EXPECT_EQ(tern_session_forward(session, &id, 1, TERN_LOGITS_LAST, logits, errbuf_, sizeof errbuf_),
            TERN_ERROR_EXECUTION);
  EXPECT_THAT(errbuf_, StartsWith(path + ": the generated decode broke the ABI"));
  EXPECT_THAT(errbuf_, HasSubstr("logits have shape [1, 9], expected [1, 8]"));
  EXPECT_EQ(state(session), before);
  tern_session_destroy(session);
  tern_model_close(broken);
}

class RuntimeLoadTest : public ::testing::Test {
 protected:
  // Expects tern_model_open to fail with TERN_ERROR_LOAD and a message starting with the path and
  // containing `expected`.
  void expectLoadError(const std::string &path, const std::string &expected) {
    tern_model *model = reinterpret_cast<tern_model *>(this);  // must be reset to NULL
    char errbuf[512];
    EXPECT_EQ(tern_model_open(path.c_str(), &model, errbuf, sizeof errbuf), TERN_ERROR_LOAD);
    EXPECT_EQ(model, nullptr);
    EXPECT_THAT(errbuf, StartsWith(path + ": "));
    EXPECT_THAT(errbuf, HasSubstr(expected));
  }
  ScratchDir dir_;
};

TEST_F(RuntimeLoadTest, RefusesMissingFile) {
  expectLoadError(dir_.file("nope.tern"), "No such file");
}

TEST_F(RuntimeLoadTest, RefusesCorruptedArtifact) {
  const std::string path = dir_.file("corrupt.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path, fakeModelPath(), fakeEmbedding()));
  std::vector<unsigned char> bytes = readBytes(path);
  bytes[getU64(bytes, 32) + 100] ^= 0xff;
  writeBytes(path, bytes);
  expectLoadError(path, "code section checksum mismatch");
}

TEST_F(RuntimeLoadTest, RefusesMissingEntryPoint) {
  const std::string path = dir_.file("nosym.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path, fakeModelPath(), fakeEmbedding(),
                                            fakeManifest("_mlir_ciface_tern_prefill", "no_such")));
  expectLoadError(path, "does not define \"no_such\"");
}

TEST_F(RuntimeLoadTest, RefusesCodeThatIsNotASharedObject) {
  const std::string path = dir_.file("notelf.tern");
  const std::string code = "this is not an ELF file";
  std::string error;
  ASSERT_TRUE(writeArtifact(path, fakeManifest(), code.data(), code.size(), nullptr, 0, &error))
      << error;
  expectLoadError(path, "cannot load the generated code");
}

TEST(RuntimeStatusTest, NamesAndVersion) {
  EXPECT_STREQ(tern_status_string(TERN_OK), "ok");
  EXPECT_STREQ(tern_status_string(TERN_ERROR_LOAD), "load error");
  EXPECT_STRNE(tern_runtime_version(), "");
  tern_model *model = nullptr;
  EXPECT_EQ(tern_model_open(nullptr, &model, nullptr, 0), TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tern_model_info(nullptr, nullptr), TERN_ERROR_INVALID_ARGUMENT);
  tern_model_close(nullptr);
  tern_session_destroy(nullptr);
  tern_session_reset(nullptr);
}

}  // namespace
}  // namespace tern::test
