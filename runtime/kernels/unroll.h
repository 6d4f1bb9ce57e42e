// Full unrolling of the small fixed loops over registers (row groups, tokens, bit pairs), so that
// their accumulators stay in registers at any optimisation level.
#ifndef TERN_RUNTIME_KERNELS_UNROLL_H
#define TERN_RUNTIME_KERNELS_UNROLL_H

#define TERN_PRAGMA(x) _Pragma(#x)
#define TERN_UNROLL TERN_PRAGMA(GCC unroll 32)

#endif  // TERN_RUNTIME_KERNELS_UNROLL_H
