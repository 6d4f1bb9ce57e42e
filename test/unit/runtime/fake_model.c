/* A stand-in for ternc's generated code: a tiny deterministic "model" with exactly the entry points
 * and ABI of docs/artifact.md, so the runtime can be tested without the compiler.
 *
 * Shapes: L = 2 layers, H = 4, V = 8. The weights section is an embedding table float emb[V][H].
 * Per token (in order), for every layer l and channel h:
 *   state[l][h] = 0.5f * state[l][h] + (l + 1) * emb[id][h]
 *   logits[v]   = VARIANT * sum_h state[L-1][h] * emb[v][h] + state[0][v % H]
 * fake_model_reference.h computes the same in C++. Built three times: VARIANT 1, VARIANT 2 (to tell
 * two loaded copies apart), and FAKE_MODEL_BREAKS_ABI (decode returns logits of the wrong shape). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_MODEL_VARIANT
#define FAKE_MODEL_VARIANT 1
#endif

enum { L = 2, H = 4, V = 8 };

typedef struct { int8_t *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } MemRef1I8;
typedef struct { int32_t *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } MemRef1I32;
typedef struct { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } MemRef2F32;
typedef struct { MemRef2F32 logits, state; } Results;

#define EXPORT __attribute__((visibility("default")))

/* A fake that silently tolerated a bad call would hide runtime bugs; abort loudly instead. */
static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fake_model: ABI violated: %s\n", what);
    abort();
  }
}

static MemRef2F32 allocate2d(int64_t rows, int64_t cols) {
  float *data = (float *)malloc(sizeof(float) * (size_t)(rows * cols));
  check(data != NULL, "out of memory");
  MemRef2F32 m = {data, data, 0, {rows, cols}, {cols, 1}};
  return m;
}

static void run(Results *out, MemRef1I8 *weights, MemRef1I32 *ids, MemRef2F32 *state_in,
                int is_decode) {
  check(weights->sizes[0] == (int64_t)(sizeof(float) * V * H) && weights->strides[0] == 1,
        "weights must be V*H floats");
  check(ids->sizes[0] >= 1 && ids->strides[0] == 1, "ids must be [T >= 1], stride 1");
  check(!is_decode || ids->sizes[0] == 1, "decode takes exactly one id");
  check(state_in->sizes[0] == L && state_in->sizes[1] == H && state_in->strides[0] == H &&
            state_in->strides[1] == 1,
        "state must be [L, H] row-major");
  const int64_t T = ids->sizes[0];
  float emb[V][H];
  memcpy(emb, weights->aligned + weights->offset, sizeof emb);

  MemRef2F32 logits = allocate2d(T, V);
  MemRef2F32 state = allocate2d(L, H);
  memcpy(state.aligned, state_in->aligned + state_in->offset, sizeof(float) * L * H);
  for (int64_t t = 0; t < T; ++t) {
    int32_t id = ids->aligned[ids->offset + t];
    check(id >= 0 && id < V, "token id out of range reached the generated code");
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        state.aligned[l * H + h] = 0.5f * state.aligned[l * H + h] + (float)(l + 1) * emb[id][h];
    for (int v = 0; v < V; ++v) {
      float dot = 0.0f;
      for (int h = 0; h < H; ++h) dot += state.aligned[(L - 1) * H + h] * emb[v][h];
      logits.aligned[t * V + v] = (float)FAKE_MODEL_VARIANT * dot + state.aligned[v % H];
    }
  }
#ifdef FAKE_MODEL_BREAKS_ABI
  if (is_decode) logits.sizes[1] = V + 1;
#endif
  out->logits = logits;
  out->state = state;
}

EXPORT void _mlir_ciface_tern_prefill(Results *out, MemRef1I8 *weights, MemRef1I32 *ids,
                                      MemRef2F32 *state_in) {
  run(out, weights, ids, state_in, 0);
}

EXPORT void _mlir_ciface_tern_decode(Results *out, MemRef1I8 *weights, MemRef1I32 *ids,
                                     MemRef2F32 *state_in) {
  run(out, weights, ids, state_in, 1);
}

/* Batch decode: token b of ids steps sequence b from its own state, exactly as decode would. */
typedef struct { float *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } MemRef3F32;
typedef struct { MemRef2F32 logits; MemRef3F32 state; } BatchResults;

EXPORT void _mlir_ciface_tern_decode_batch(BatchResults *out, MemRef1I8 *weights, MemRef1I32 *ids,
                                           MemRef3F32 *states_in) {
  const int64_t B = ids->sizes[0];
  check(B >= 1 && ids->strides[0] == 1, "ids must be [B >= 1], stride 1");
  check(states_in->sizes[0] == B && states_in->sizes[1] == L && states_in->sizes[2] == H &&
            states_in->strides[0] == L * H && states_in->strides[1] == H &&
            states_in->strides[2] == 1,
        "states must be [B, L, H] row-major");
  MemRef2F32 logits = allocate2d(B, V);
  float *states = (float *)malloc(sizeof(float) * (size_t)(B * L * H));
  check(states != NULL, "out of memory");
  for (int64_t b = 0; b < B; ++b) {
    MemRef1I32 id = {ids->allocated, ids->aligned, ids->offset + b, {1}, {1}};
    MemRef2F32 state = {states_in->allocated, states_in->aligned,
                        states_in->offset + b * L * H, {L, H}, {H, 1}};
    Results one;
    run(&one, weights, &id, &state, 1);
    memcpy(logits.aligned + b * V, one.logits.aligned, sizeof(float) * V);
    memcpy(states + b * L * H, one.state.aligned, sizeof(float) * L * H);
    free(one.logits.allocated);
    free(one.state.allocated);
  }
  out->logits = logits;
  MemRef3F32 s = {states, states, 0, {B, L, H}, {L * H, H, 1}};
  out->state = s;
}
