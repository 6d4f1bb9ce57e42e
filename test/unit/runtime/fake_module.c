/* Stands in for a compiled MLIR module (artifact kind "mlir") in function_call_test.cpp: functions
 * with MLIR's C interface for memrefs, as ternc's generated code has them, including some that
 * break the ABI on purpose. */
#include <stdint.h>
#include <stdlib.h>

typedef struct { float *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } F32Memref1;
typedef struct { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } F32Memref2;
typedef struct { int8_t *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } I8Memref1;
typedef struct { int32_t *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } I32Memref1;
typedef struct { double *allocated, *aligned; int64_t offset; } F64Memref0;

static float at1(const F32Memref1 *m, int64_t i) { return m->aligned[m->offset + i * m->strides[0]]; }

/* add(a: f32[?], b: f32[?]) -> f32[?]: a + b + weights[i] (the weights section's bytes). */
void _mlir_ciface_add(F32Memref1 *out, I8Memref1 *weights, F32Memref1 *a, F32Memref1 *b) {
  int64_t n = a->sizes[0];
  float *data = malloc(sizeof(float) * (n ? n : 1));
  for (int64_t i = 0; i < n; ++i)
    data[i] = at1(a, i) + at1(b, i) + (i < weights->sizes[0] ? weights->aligned[i] : 0);
  *out = (F32Memref1){data, data, 0, {n}, {1}};
}

/* split(x: i32[4]) -> (i32[2], f64[]): the first two ids, and the sum of all as a 0-d tensor. */
typedef struct { I32Memref1 head; F64Memref0 sum; } SplitResults;
typedef struct { int32_t *allocated, *aligned; int64_t offset, sizes[1], strides[1]; } I32In;
void _mlir_ciface_split(SplitResults *out, I8Memref1 *weights, I32In *x) {
  (void)weights;
  int32_t *head = malloc(sizeof(int32_t) * 2);
  double *sum = malloc(sizeof(double));
  head[0] = x->aligned[x->offset];
  head[1] = x->aligned[x->offset + x->strides[0]];
  *sum = 0;
  for (int64_t i = 0; i < x->sizes[0]; ++i) *sum += x->aligned[x->offset + i * x->strides[0]];
  out->head = (I32Memref1){head, head, 0, {2}, {1}};
  out->sum = (F64Memref0){sum, sum, 0};
}

/* transpose(x: f32[2, 3]) -> f32[3, 2], returned as a strided view of a copy of x (strides [1, 3]):
 * the runtime must copy it out honouring the strides. */
void _mlir_ciface_transpose(F32Memref2 *out, I8Memref1 *weights, F32Memref2 *x) {
  (void)weights;
  float *data = malloc(sizeof(float) * 6);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 3; ++c) data[r * 3 + c] = x->aligned[x->offset + r * x->strides[0] + c * x->strides[1]];
  *out = (F32Memref2){data, data, 0, {3, 2}, {1, 3}};
}

/* ABI breaks: returning the argument's own buffer, and a shape other than the manifest's. */
void _mlir_ciface_aliases(F32Memref1 *out, I8Memref1 *weights, F32Memref1 *x) {
  (void)weights;
  *out = *x;
}
void _mlir_ciface_bad_shape(F32Memref1 *out, I8Memref1 *weights, F32Memref1 *x) {
  (void)weights;
  float *data = malloc(sizeof(float) * 5);
  for (int64_t i = 0; i < 5; ++i) data[i] = i < x->sizes[0] ? at1(x, i) : 0;
  *out = (F32Memref1){data, data, 0, {5}, {1}};
}
