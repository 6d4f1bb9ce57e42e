// The fake model of fake_model.c, recomputed in C++, plus the weights the tests give it.
#ifndef TERN_TEST_FAKE_MODEL_REFERENCE_H
#define TERN_TEST_FAKE_MODEL_REFERENCE_H

#include <cstdint>
#include <cstring>
#include <vector>

namespace tern::test {

constexpr int kFakeLayers = 2, kFakeHidden = 4, kFakeVocab = 8;

// emb[v][h], varied enough that every logit differs.
inline std::vector<float> fakeEmbedding(float salt = 0.0f) {
  std::vector<float> emb(kFakeVocab * kFakeHidden);
  for (int v = 0; v < kFakeVocab; ++v)
    for (int h = 0; h < kFakeHidden; ++h)
      emb[v * kFakeHidden + h] = 0.25f * static_cast<float>((v * 7 + h * 3) % 11) - 1.0f +
                                 0.01f * static_cast<float>(v) + salt;
  return emb;
}

inline std::vector<unsigned char> fakeWeightsBytes(const std::vector<float> &emb) {
  std::vector<unsigned char> bytes(emb.size() * sizeof(float));
  std::memcpy(bytes.data(), emb.data(), bytes.size());
  return bytes;
}

struct FakeModelReference {
  std::vector<float> emb;
  float variant = 1.0f;
  std::vector<float> state = std::vector<float>(kFakeLayers * kFakeHidden, 0.0f);

  // Advances the state by one token and returns its logits row.
  std::vector<float> step(int32_t id) {
    for (int l = 0; l < kFakeLayers; ++l)
      for (int h = 0; h < kFakeHidden; ++h)
        state[l * kFakeHidden + h] =
            0.5f * state[l * kFakeHidden + h] + static_cast<float>(l + 1) * emb[id * kFakeHidden + h];
    std::vector<float> logits(kFakeVocab);
    for (int v = 0; v < kFakeVocab; ++v) {
      float dot = 0.0f;
      for (int h = 0; h < kFakeHidden; ++h)
        dot += state[(kFakeLayers - 1) * kFakeHidden + h] * emb[v * kFakeHidden + h];
      logits[v] = variant * dot + state[v % kFakeHidden];
    }
    return logits;
  }
  // Logits [ids.size(), V], row-major.
  std::vector<float> run(const std::vector<int32_t> &ids) {
    std::vector<float> all;
    for (int32_t id : ids) {
      std::vector<float> row = step(id);
      all.insert(all.end(), row.begin(), row.end());
    }
    return all;
  }
};

}  // namespace tern::test

#endif  // TERN_TEST_FAKE_MODEL_REFERENCE_H
