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

/* The tokenizer the artifact carries (docs/artifact.md): *format names it ("sentencepiece": the
 * bytes of a SentencePiece tokenizer.model) and *data / *size are its bytes, valid while the model
 * is open. Without one, *format is NULL, *data NULL and *size 0 (still TERN_OK). */
tern_status tern_model_tokenizer(const tern_model *model, const char **format, const void **data,
                                 size_t *size);

/* How the model's ternary microkernels run (docs/runtime.md, "Kernels and threads"). Call these before
 * running sessions: a change while a session runs is not synchronised.
 * threads: rows of each kernel call are split over this many threads (the caller's included);
 * 0 = one per CPU this process may use (the default, unless TERN_THREADS is set).
 * isa: "avx512_vnni", "avx2", "arm_dotprod" or "generic"; one this CPU lacks is refused. The
 * default is the best the CPU has, unless TERN_ISA names another. */
tern_status tern_model_set_threads(tern_model *model, int threads);
tern_status tern_model_set_isa(tern_model *model, const char *isa, char *errbuf, size_t errlen);
/* The number of threads and the ISA name ("avx512_vnni", ...) the kernels use now. */
int tern_model_threads(const tern_model *model);
const char *tern_model_isa(const tern_model *model);

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

/* Batch decode: B independent sequences, each with its own state (zero at creation), stepped
 * together one token each through the artifact's batch-decode entry point, which reads the weights
 * once per step for all B tokens. Each sequence gets the logits a session decoding it alone would
 * get. A batch of one model may run concurrently with its sessions and other batches; one batch must
 * not be used by two threads at once. It keeps its model loaded (like a session). */
typedef struct tern_batch tern_batch;

/* tern_batch_reset's index for every sequence at once. */
#define TERN_BATCH_ALL ((size_t)-1)

/* A batch of batch_size (>= 1) sequences. TERN_ERROR_INVALID_ARGUMENT with a message when the model
 * has no batch decode (an artifact compiled before it existed: compile it again) or batch_size is
 * 0; on a GPU the states are made on the device (a failure there is TERN_ERROR_EXECUTION). */
tern_status tern_batch_create(tern_model *model, size_t batch_size, tern_batch **batch, char *errbuf,
                              size_t errlen);
void tern_batch_destroy(tern_batch *batch); /* NULL is allowed */
size_t tern_batch_size(const tern_batch *batch); /* 0 for NULL */
/* Zeroes sequence `index`'s state (a new sequence starts in that slot), or every state with
 * TERN_BATCH_ALL. */
tern_status tern_batch_reset(tern_batch *batch, size_t index);
/* One step: ids[b] is the next token of sequence b; n must equal the batch size. Writes the logits
 * row-major [n, vocab_size] into logits_out unless it is NULL, and advances every state. Ids are
 * checked against [0, vocab_size) first; on any error no state changes. */
tern_status tern_batch_step(tern_batch *batch, const int32_t *ids, size_t n, float *logits_out,
                            char *errbuf, size_t errlen);
/* Copies sequence `index`'s state, num_layers * hidden_size floats (`count`), into state_out. */
tern_status tern_batch_get_state(const tern_batch *batch, size_t index, float *state_out,
                                 size_t count);

/* Compiled MLIR modules (artifact kind "mlir", docs/artifact.md): `ternc graph.mlir` compiles every
 * public function of the module; these call them. Tensors are dense and row-major. */
typedef enum tern_dtype {
  TERN_DTYPE_F32 = 0,
  TERN_DTYPE_F64 = 1,
  TERN_DTYPE_I8 = 2,
  TERN_DTYPE_I16 = 3,
  TERN_DTYPE_I32 = 4,
  TERN_DTYPE_I64 = 5
} tern_dtype;

#define TERN_MAX_RANK 8

typedef struct tern_tensor {
  tern_dtype dtype;
  int32_t rank;                  /* 0 .. TERN_MAX_RANK */
  int64_t shape[TERN_MAX_RANK];  /* the first `rank` entries are used */
  void *data;                    /* prod(shape) elements, row-major */
} tern_tensor;

/* The number of functions the artifact holds (0 for a model), and the name of function `index`
 * (NULL when out of range), valid while the model is open. */
size_t tern_model_function_count(const tern_model *model);
const char *tern_model_function_name(const tern_model *model, size_t index);
/* The numbers of arguments and results of the function called `name`. */
tern_status tern_model_function_arity(const tern_model *model, const char *name, size_t *num_args,
                                      size_t *num_results);

/* Calls the function called `name`. Each argument's dtype, rank and static sizes must be those the
 * function was compiled for (a size that was dynamic may be anything). On TERN_OK, results[0 ..
 * num_results) hold the results, each with data in a new buffer the caller releases with
 * tern_tensor_release; num_results must equal the function's. The call may run concurrently with
 * other calls and sessions; the function reads its arguments and writes nothing the caller passed. */
tern_status tern_model_call(tern_model *model, const char *name, const tern_tensor *args,
                            size_t num_args, tern_tensor *results, size_t num_results, char *errbuf,
                            size_t errlen);
/* Frees a result's data and sets it to NULL; NULL and a tensor without data are allowed. */
void tern_tensor_release(tern_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_H */
