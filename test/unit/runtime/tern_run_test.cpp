// tern-run end to end on the fake model: its modes, its output, its errors and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "fake_model_reference.h"
#include "npy.h"
#include "sampler.h"
#include "test_support.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

struct Result {
  int exitCode;
  std::string out, err;
};

class TernRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.file("fake.tern");
    ASSERT_NO_FATAL_FAILURE(writeFakeArtifact(model_, fakeModelPath(), fakeEmbedding()));
  }

  static std::string quote(const std::string &arg) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
  }

  Result run(const std::vector<std::string> &args) {
    std::string command = quote(TERN_RUN_PATH);
    for (const std::string &arg : args) command += " " + quote(arg);
    command += " >" + quote(dir_.file("stdout")) + " 2>" + quote(dir_.file("stderr"));
    int status = std::system(command.c_str());
    Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, readText(dir_.file("stdout")),
             readText(dir_.file("stderr"))};
    return r;
  }

  ScratchDir dir_;
  std::string model_;
};

TEST_F(TernRunTest, LogitsOutWritesPrefillLogits) {
  const std::string out = dir_.file("logits.npy");
  Result r = run({model_, "--tokens", "5,1,7", "--logits-out", out});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, MatchesRegex("tern-run: load .* ms; prefill 3 tokens in .* ms \\(.* tok/s\\); "
                                  "decode 0 tokens\n"));
  NpyArray array;
  std::string error;
  ASSERT_TRUE(readNpy(out, &array, &error)) << error;
  EXPECT_EQ(array.shape, (std::vector<int64_t>{3, kFakeVocab}));
  FakeModelReference reference{fakeEmbedding()};
  const std::vector<float> expected = reference.run({5, 1, 7});
  ASSERT_EQ(array.elementCount(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(array.f32()[i], expected[i]);
}

TEST_F(TernRunTest, GreedyGenerationFeedsTokensBack) {
  Result r = run({model_, "--tokens=3,4", "--max-new-tokens", "6"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  FakeModelReference reference{fakeEmbedding()};
  std::vector<float> row = reference.run({3, 4});
  row.erase(row.begin(), row.end() - kFakeVocab);
  std::string expected;
  for (int i = 0; i < 6; ++i) {
    int64_t token = argmaxLogit(row.data(), row.size());
    expected += (i ? "," : "") + std::to_string(token);
    row = reference.step(static_cast<int32_t>(token));
  }
  EXPECT_EQ(r.out, expected + "\n");
  EXPECT_THAT(r.err, HasSubstr("prefill 2 tokens"));
  EXPECT_THAT(r.err, HasSubstr("decode 5 tokens in"));
}

TEST_F(TernRunTest, SampledGenerationIsReproducibleForASeed) {
  const std::vector<std::string> args = {model_, "--tokens", "1", "--max-new-tokens", "12",
                                         "--temperature", "5", "--seed", "11"};
  Result a = run(args), b = run(args);
  ASSERT_EQ(a.exitCode, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_THAT(a.out, MatchesRegex("[0-7](,[0-7]){11}\n"));
}

TEST_F(TernRunTest, PerplexityOverAFile) {
  // More than one 512-token chunk, so the state must carry across chunks.
  std::string text;
  std::vector<int32_t> ids;
  for (int i = 0; i < 1100; ++i) {
    ids.push_back((i * 5 + i / 7) % kFakeVocab);
    text += std::to_string(ids.back()) + (i % 10 == 9 ? "\n" : i % 2 ? ", " : " ");
  }
  writeText(dir_.file("ids.txt"), text);
  Result r = run({model_, "--ppl", dir_.file("ids.txt")});
  ASSERT_EQ(r.exitCode, 0) << r.err;

  FakeModelReference reference{fakeEmbedding()};
  double nll = 0;
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    std::vector<float> row = reference.step(ids[i]);
    double maxLogit = *std::max_element(row.begin(), row.end()), sum = 0;
    for (float l : row) sum += std::exp(double(l) - maxLogit);
    nll += maxLogit + std::log(sum) - row[ids[i + 1]];
  }
  char expected[64];
  std::snprintf(expected, sizeof expected, "perplexity: %.6f (1099 tokens)\n",
                std::exp(nll / 1099.0));
  EXPECT_EQ(r.out, expected);
  EXPECT_THAT(r.err, HasSubstr("prefill 1099 tokens"));
}

TEST_F(TernRunTest, OutOfRangeIdIsAnError) {
  Result r = run({model_, "--tokens", "1,8", "--logits-out", dir_.file("x.npy")});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("token id 8 at position 1 is out of range for vocabulary size 8"));
  EXPECT_EQ(dir_.entries(), (std::vector<std::string>{"fake.tern", "stderr", "stdout"}));
}

TEST_F(TernRunTest, BadTokenTextIsAnError) {
  Result r = run({model_, "--tokens", "1,x2", "--max-new-tokens", "1"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("--tokens: bad token id \"x2\""));
  writeText(dir_.file("bad.txt"), "1 2\n3 three\n");
  r = run({model_, "--ppl", dir_.file("bad.txt")});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.file("bad.txt") + ": bad token id \"three\" at line 2"));
}

TEST_F(TernRunTest, MissingFilesAreErrors) {
  Result r = run({dir_.file("absent.tern"), "--tokens", "1", "--max-new-tokens", "1"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.file("absent.tern") + ": cannot open"));
  r = run({model_, "--ppl", dir_.file("absent.txt")});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.file("absent.txt") + ": cannot open"));
}

TEST_F(TernRunTest, UsageErrorsExitWithTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {model_, "--tokens", "1", "--bogus"},
      {model_, "--tokens", "1"},
      {model_, "--max-new-tokens", "3"},
      {model_, "--tokens", "1", "--max-new-tokens", "-3"},
      {model_, "--tokens", "1", "--max-new-tokens", "2", "--temperature", "hot"},
      {model_, "--tokens", "1", "--logits-out", "x.npy", "--seed", "3"},
      {model_, "--ppl", "f.txt", "--tokens", "1"},
      {model_, "--tokens"},
      {},
      {model_, model_, "--ppl", "f.txt"},
  };
  for (const auto &args : cases) {
    Result r = run(args);
    EXPECT_EQ(r.exitCode, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_THAT(r.err, StartsWith("tern-run: error: "));
    EXPECT_THAT(r.err, HasSubstr("Try 'tern-run --help'."));
  }
  EXPECT_THAT(run({model_, "--bogus"}).err, HasSubstr("unknown option \"--bogus\""));
}

TEST_F(TernRunTest, TextModesNeedATokenizer) {
  Result r = run({model_, "-p", "hello"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr(model_ + ": the model carries no tokenizer"));
  EXPECT_EQ(r.out, "");
}

TEST_F(TernRunTest, TextModeUsageErrorsExitWithTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {model_, "-p", "hi", "--tokens", "1"},
      {model_, "-i", "--ppl", "f.txt"},
      {model_, "-p", "hi", "--logits-out", "x.npy"},
      {model_, "-p", "hi", "--top-p", "0"},
      {model_, "-p", "hi", "--top-p", "1.5"},
      {model_, "-p", "hi", "--top-k", "-1"},
      {model_, "-p", "hi", "--repeat-penalty", "0"},
      {model_, "-p"},
      {model_, "--tokens", "1", "--logits-out", "x.npy", "--top-k", "3"},
  };
  for (const auto &args : cases) {
    Result r = run(args);
    EXPECT_EQ(r.exitCode, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("Try 'tern-run --help'."));
  }
}

TEST_F(TernRunTest, FiltersApplyToIdGeneration) {
  // Top-k 1 is greedy whatever the temperature.
  Result greedy = run({model_, "--tokens", "3,4", "-n", "6"});
  Result topK = run({model_, "--tokens", "3,4", "-n", "6", "--temperature", "5", "--top-k", "1"});
  ASSERT_EQ(greedy.exitCode, 0) << greedy.err;
  ASSERT_EQ(topK.exitCode, 0) << topK.err;
  EXPECT_EQ(greedy.out, topK.out);
}

TEST_F(TernRunTest, HelpAndVersion) {
  Result help = run({"--help"});
  EXPECT_EQ(help.exitCode, 0);
  for (const char *flag : {"--tokens", "--logits-out", "--max-new-tokens", "--temperature", "--seed",
                           "--ppl", "--version"})
    EXPECT_THAT(help.out, HasSubstr(flag));
  Result version = run({"--version"});
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_THAT(version.out, StartsWith("tern-run "));
  EXPECT_THAT(version.out, HasSubstr("artifact format 1"));
}

}  // namespace
}  // namespace tern::test
