/* The tern runtime's C API: load a `.tern` artifact and run it token by token.
 *
 * A model is a loaded artifact (its generated code and its mmap'd weights); a session is one
 * sequence's recurrent state ([num_layers, hidden_size] floats, zero at creation), which every forward
 * call reads and advances. Sessions of one model may run concurrently on different threads; a single
 * session must not be used by two threads at once. A model stays loaded until it is closed and all its
 * sessions are destroyed (in any order).
 *
 * Functions that can fail return a tern_status; those that take `errbuf`/`errlen` also write a
 * NUL-terminated message there (truncated to errlen bytes; errbuf may be NULL). See docs/runtime.md. */
#ifndef TERN_RUNTIME_H
#define TERN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tern_model tern_model;
typedef struct tern_session tern_session;

typedef enum tern_status {
  TERN_OK = 0,
  TERN_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, n == 0, a token id outside [0, vocab_size) */
  TERN_ERROR_LOAD = 2,             /* the artifact is missing, corrupt, or its code cannot load */
  TERN_ERROR_EXECUTION = 3,        /* the generated code returned something that breaks the ABI */
  TERN_ERROR_OUT_OF_MEMORY = 4
} tern_status;

/* Which logits tern_session_forward copies out. */
typedef enum tern_logits {
  TERN_LOGITS_NONE = 0, /* none; logits_out may be NULL (e.g. to feed a prompt's prefix) */
  TERN_LOGITS_LAST = 1, /* the last position's row: vocab_size floats */
  TERN_LOGITS_ALL = 2   /* every position: n * vocab_size floats, row-major [n, vocab_size] */
} tern_logits;

typedef struct tern_model_info_t {
  int64_t vocab_size;
  int64_t hidden_size;
  int64_t num_layers;
  int64_t bos_token_id; /* -1 when the manifest names none */
  int64_t eos_token_id; /* -1 when the manifest names none */
} tern_model_info_t;

/* "0.1.0"-style version of this runtime. */
const char *tern_runtime_version(void);
/* A short constant name for a status ("ok", "invalid argument", ...). */
const char *tern_status_string(tern_status status);

/* Maps and validates the artifact at `path` (layout, manifest, checksums), loads its generated code
 * and resolves the entry points. On failure *model is set to NULL and the message starts with the
 * path. */
tern_status tern_model_open(const char *path, tern_model **model, char *errbuf, size_t errlen);
/* Releases the caller's reference; NULL is allowed. */
void tern_model_close(tern_model *model);
tern_status tern_model_info(const tern_model *model, tern_model_info_t *info);

/* A new session whose state is all zeros. */
tern_status tern_session_create(tern_model *model, tern_session **session);
void tern_session_destroy(tern_session *session); /* NULL is allowed */
/* Sets the state back to zeros (the start of a new sequence). */
void tern_session_reset(tern_session *session);

/* Runs ids[0..n) (n >= 1) through the model from the session's state and advances the state:
 * n > 1 calls the generated prefill, n == 1 the generated decode, with identical results either way
 * (up to float rounding). `which` says which logits to copy into logits_out (see tern_logits). Every id
 * is checked against [0, vocab_size) before any code runs. On any error the state is unchanged. */
tern_status tern_session_forward(tern_session *session, const int32_t *ids, size_t n,
                                 tern_logits which, float *logits_out, char *errbuf, size_t errlen);

/* Copies the state, num_layers * hidden_size floats row-major, into state_out; `count` must equal
 * that number. */
tern_status tern_session_get_state(const tern_session *session, float *state_out, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_H */
