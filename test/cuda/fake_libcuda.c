// A stand-in libcuda.so.1 for testing the runtime's CUDA path where no GPU is (test/cuda/*.test):
// "device" memory is host memory, modules are accepted without compiling, and kernels do nothing
// but get counted and have their launch shape checked. It prints what it saw on stderr:
//   [fake] module load: N bytes of PTX      once per loaded module
//   [fake] captured N launches              at the end of a graph capture
//   [fake] N kernel launches, M with programmatic serialization
//                                           at exit (replays count each captured launch; M were
//                                           launched by cuLaunchKernelEx with the PDL attribute)
// Only the entry points the runtime loads (runtime/src/cuda/driver_api.cpp) are here.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
static int launches, captures, programmatic, programmaticCaptures;
static int capturing;
#define OK return 0
CUresult cuInit(unsigned f) { OK; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; OK; }
CUresult cuDeviceGetCount(int *c) { *c = 1; OK; }
CUresult cuDeviceGet(int *d, int o) { *d = o; OK; }
CUresult cuDeviceGetName(char *n, int len, int d) { strncpy(n, "Fake GPU", len); OK; }
CUresult cuDeviceGetAttribute(int *v, int a, int d) { *v = a == 16 ? 4 : 9; OK; }
CUresult cuDeviceTotalMem_v2(size_t *b, int d) { *b = 1ull << 30; OK; }
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = (void *)1; OK; }
CUresult cuCtxSetCurrent(void *c) { OK; }
CUresult cuModuleLoadDataEx(void **m, const void *img, unsigned n, int *o, void **v) {
  fprintf(stderr, "[fake] module load: %zu bytes of PTX\n", strlen((const char *)img));
  *m = (void *)2; OK; }
CUresult cuModuleUnload(void *m) { OK; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) { *f = (void *)3; OK; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned smem, void *s, void **p, void **e) {
  if (!capturing) launches++; else captures++;
  if (gx == 0 || gy == 0 || gz == 0 || bx * by * bz > 1024 || gy > 65535) {
    fprintf(stderr, "[fake] bad launch grid %u %u %u block %u %u %u\n", gx, gy, gz, bx, by, bz);
    return 1;
  }
  OK; }
typedef struct { int id; char pad[4]; union { char bytes[64]; int allowed; } value; } Attribute;
typedef struct {
  unsigned gx, gy, gz, bx, by, bz, smem;
  void *stream;
  Attribute *attrs;
  unsigned numAttrs;
} LaunchConfig;
CUresult cuLaunchKernelEx(const LaunchConfig *c, void *f, void **p, void **e) {
  if (getenv("FAKE_REFUSE_PROGRAMMATIC")) return 1;  /* CUDA_ERROR_INVALID_VALUE */
  for (unsigned i = 0; i < c->numAttrs; i++)
    if (c->attrs[i].id == 6 && c->attrs[i].value.allowed) {
      if (!capturing) programmatic++; else programmaticCaptures++;
    }
  return cuLaunchKernel(f, c->gx, c->gy, c->gz, c->bx, c->by, c->bz, c->smem, c->stream, p, e);
}
CUresult cuStreamCreate(void **s, unsigned f) { *s = malloc(1); OK; }
CUresult cuStreamDestroy_v2(void *s) { free(s); OK; }
CUresult cuStreamSynchronize(void *s) { OK; }
CUresult cuStreamIsCapturing(void *s, int *st) { *st = capturing; OK; }
CUresult cuStreamBeginCapture_v2(void *s, int mode) { capturing = 1; OK; }
CUresult cuStreamEndCapture(void *s, void **g) { capturing = 0; *g = malloc(1);
  fprintf(stderr, "[fake] captured %d launches\n", captures); OK; }
CUresult cuGraphInstantiateWithFlags(void **e, void *g, unsigned long long f) { *e = malloc(1); OK; }
CUresult cuGraphLaunch(void *e, void *s) { launches += captures; programmatic += programmaticCaptures; OK; }
CUresult cuGraphExecDestroy(void *e) { free(e); OK; }
CUresult cuGraphDestroy(void *g) { free(g); OK; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) { *p = (CUdeviceptr)aligned_alloc(256, (n + 255) / 256 * 256); memset((void*)*p, 0, n); OK; }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)p); OK; }
CUresult cuMemHostAlloc(void **p, size_t n, unsigned f) { *p = malloc(n); OK; }
CUresult cuMemFreeHost(void *p) { free(p); OK; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) { memcpy((void *)d, s, n); OK; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *st) { if (!capturing) memcpy((void *)d, s, n); OK; }
CUresult cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *st) { if (!capturing) memcpy(d, (void *)s, n); OK; }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) { if (!capturing) memmove((void *)d, (void *)s, n); OK; }
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *st) { for (size_t i = 0; i < n; i++) ((unsigned *)d)[i] = v; OK; }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void *st) { memset((void *)d, v, n); OK; }
CUresult cuEventCreate(void **e, unsigned f) { *e = malloc(1); OK; }
CUresult cuEventDestroy_v2(void *e) { free(e); OK; }
CUresult cuEventRecord(void *e, void *s) { OK; }
CUresult cuEventSynchronize(void *e) { OK; }
CUresult cuEventElapsedTime(float *ms, void *a, void *b) { *ms = 1.0f; OK; }
CUresult cuGetErrorName(CUresult r, const char **s) { *s = "FAKE_ERROR"; OK; }
CUresult cuGetErrorString(CUresult r, const char **s) { *s = "fake error"; OK; }
__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "[fake] %d kernel launches, %d with programmatic serialization\n", launches,
          programmatic);
}
