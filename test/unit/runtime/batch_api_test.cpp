// The batch-decode C API (tern_batch_*) over the fake model: each sequence of a batch gets what a
// session decoding it alone gets; bad calls are refused without touching any state; an artifact
// without entry_points.decode_batch (compiled before batch decode existed) still loads and says so
// only when a batch is asked for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_model_reference.h"
#include "tern/runtime.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;

constexpr size_t kStateSize = kFakeLayers * kFakeHidden;

// fakeManifest() plus the batch entry point, as ternc now writes it.
std::string manifestWithBatch() {
  std::string manifest = fakeManifest();
  const std::string decode = R"("decode": "_mlir_ciface_tern_decode")";
  size_t at = manifest.find(decode);
  EXPECT_NE(at, std::string::npos);
  manifest.insert(at + decode.size(), R"(, "decode_batch": "_mlir_ciface_tern_decode_batch")");
  return manifest;
}

class BatchApiTest : public ::testing::Test {
 protected:
  void open(const std::string &manifest) {
    path_ = dir_.file("fake.tern");
    ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path_, fakeModelPath(), fakeEmbedding(), manifest));
    ASSERT_EQ(tern_model_open(path_.c_str(), &model_, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
  }
  void TearDown() override {
    tern_batch_destroy(batch_);
    tern_model_close(model_);
  }
  std::vector<float> state(size_t index) {
    std::vector<float> out(kStateSize);
    EXPECT_EQ(tern_batch_get_state(batch_, index, out.data(), out.size()), TERN_OK);
    return out;
  }

  ScratchDir dir_;
  std::string path_;
  tern_model *model_ = nullptr;
  tern_batch *batch_ = nullptr;
  char errbuf_[512] = {};
};

TEST_F(BatchApiTest, EachSequenceGetsWhatDecodingItAloneGives) {
  ASSERT_NO_FATAL_FAILURE(open(manifestWithBatch()));
  ASSERT_EQ(tern_batch_create(model_, 3, &batch_, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
  EXPECT_EQ(tern_batch_size(batch_), 3u);
  const std::vector<std::vector<int32_t>> sequences = {{5, 1, 7, 0}, {2, 2, 6, 3}, {7, 4, 1, 1}};
  std::vector<FakeModelReference> alone(3, FakeModelReference{fakeEmbedding()});
  for (size_t t = 0; t < 4; ++t) {
    std::vector<int32_t> ids = {sequences[0][t], sequences[1][t], sequences[2][t]};
    std::vector<float> logits(3 * kFakeVocab);
    ASSERT_EQ(tern_batch_step(batch_, ids.data(), 3, logits.data(), errbuf_, sizeof errbuf_), TERN_OK)
        << errbuf_;
    for (size_t b = 0; b < 3; ++b) {
      std::vector<float> expected = alone[b].step(ids[b]);
      for (int v = 0; v < kFakeVocab; ++v)
        EXPECT_EQ(logits[b * kFakeVocab + v], expected[v]) << "sequence " << b << " step " << t;
    }
  }
  for (size_t b = 0; b < 3; ++b) EXPECT_EQ(state(b), alone[b].state) << "sequence " << b;
  // A step without logits still advances every state.
  std::vector<int32_t> ids = {1, 2, 3};
  ASSERT_EQ(tern_batch_step(batch_, ids.data(), 3, nullptr, errbuf_, sizeof errbuf_), TERN_OK);
  for (size_t b = 0; b < 3; ++b) alone[b].step(ids[b]);
  for (size_t b = 0; b < 3; ++b) EXPECT_EQ(state(b), alone[b].state) << "sequence " << b;
}

TEST_F(BatchApiTest, ResetStartsOneSequenceOrAll) {
  ASSERT_NO_FATAL_FAILURE(open(manifestWithBatch()));
  ASSERT_EQ(tern_batch_create(model_, 2, &batch_, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
  std::vector<int32_t> ids = {3, 4};
  ASSERT_EQ(tern_batch_step(batch_, ids.data(), 2, nullptr, errbuf_, sizeof errbuf_), TERN_OK);
  const std::vector<float> second = state(1);
  ASSERT_EQ(tern_batch_reset(batch_, 0), TERN_OK);
  EXPECT_EQ(state(0), std::vector<float>(kStateSize, 0.0f));
  EXPECT_EQ(state(1), second);
  ASSERT_EQ(tern_batch_reset(batch_, TERN_BATCH_ALL), TERN_OK);
  EXPECT_EQ(state(1), std::vector<float>(kStateSize, 0.0f));
  EXPECT_EQ(tern_batch_reset(batch_, 2), TERN_ERROR_INVALID_ARGUMENT);
}

TEST_F(BatchApiTest, RefusesWrongSizesAndBadIdsKeepingState) {
  ASSERT_NO_FATAL_FAILURE(open(manifestWithBatch()));
  EXPECT_EQ(tern_batch_create(model_, 0, &batch_, errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(batch_, nullptr);
  EXPECT_THAT(errbuf_, HasSubstr("at least 1 sequence"));
  ASSERT_EQ(tern_batch_create(model_, 3, &batch_, errbuf_, sizeof errbuf_), TERN_OK) << errbuf_;
  std::vector<int32_t> ids = {1, 2, 3, 4};
  ASSERT_EQ(tern_batch_step(batch_, ids.data(), 3, nullptr, errbuf_, sizeof errbuf_), TERN_OK);
  const std::vector<float> before = state(2);
  std::vector<float> logits(4 * kFakeVocab);
  EXPECT_EQ(tern_batch_step(batch_, ids.data(), 2, logits.data(), errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf_, HasSubstr("a batch of 3 sequences takes 3 token ids per step"));
  EXPECT_EQ(tern_batch_step(batch_, ids.data(), 4, logits.data(), errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf_, HasSubstr("got 4"));
  std::vector<int32_t> bad = {1, 8, 2};
  EXPECT_EQ(tern_batch_step(batch_, bad.data(), 3, logits.data(), errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(errbuf_, HasSubstr("token id 8 of sequence 1 is out of range for vocabulary size 8"));
  EXPECT_EQ(tern_batch_step(batch_, nullptr, 3, logits.data(), errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(state(2), before);
  std::vector<float> out(kStateSize);
  EXPECT_EQ(tern_batch_get_state(batch_, 3, out.data(), out.size()), TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tern_batch_get_state(batch_, 0, out.data(), out.size() - 1),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tern_batch_step(nullptr, ids.data(), 3, nullptr, errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
}

TEST_F(BatchApiTest, ArtifactWithoutBatchEntryLoadsAndRefusesOnlyBatches) {
  ASSERT_NO_FATAL_FAILURE(open(fakeManifest()));
  tern_session *session = nullptr;
  ASSERT_EQ(tern_session_create(model_, &session), TERN_OK);
  int32_t id = 3;
  std::vector<float> logits(kFakeVocab);
  EXPECT_EQ(tern_session_forward(session, &id, 1, TERN_LOGITS_LAST, logits.data(), errbuf_,
                                 sizeof errbuf_),
            TERN_OK)
      << errbuf_;
  tern_session_destroy(session);
  EXPECT_EQ(tern_batch_create(model_, 2, &batch_, errbuf_, sizeof errbuf_),
            TERN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(batch_, nullptr);
  EXPECT_THAT(errbuf_, HasSubstr("this artifact has no batch decode"));
  EXPECT_THAT(errbuf_, HasSubstr("entry_points.decode_batch"));
}

TEST_F(BatchApiTest, ManifestNamingAMissingBatchSymbolIsRefusedAtLoad) {
  std::string manifest = manifestWithBatch();
  manifest.replace(manifest.find("_mlir_ciface_tern_decode_batch"),
                   std::string("_mlir_ciface_tern_decode_batch").size(), "no_such_symbol");
  path_ = dir_.file("fake.tern");
  ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(path_, fakeModelPath(), fakeEmbedding(), manifest));
  EXPECT_EQ(tern_model_open(path_.c_str(), &model_, errbuf_, sizeof errbuf_), TERN_ERROR_LOAD);
  EXPECT_THAT(errbuf_, HasSubstr("no_such_symbol"));
}

}  // namespace
}  // namespace tern::test
