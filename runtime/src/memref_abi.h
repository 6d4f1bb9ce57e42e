// The generated-code ABI "memref-v1" (docs/artifact.md): MLIR's C interface for memrefs
// (`llvm.emit_c_interface`), as the runtime sees it.
#ifndef TERN_RUNTIME_MEMREF_ABI_H
#define TERN_RUNTIME_MEMREF_ABI_H

#include <cstdint>

namespace tern {

template <typename T, int Rank>
struct MemRefDescriptor {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

using WeightsMemRef = MemRefDescriptor<int8_t, 1>;  // the weights section, sizes[0] = bytes
using IdsMemRef = MemRefDescriptor<int32_t, 1>;     // [T] token ids
using FloatMemRef2 = MemRefDescriptor<float, 2>;    // logits [T, V], state [L, H]

// A function returning several memrefs takes a pointer to a struct of them as its first argument.
struct EntryPointResults {
  FloatMemRef2 logits;
  FloatMemRef2 state;
};

// `_mlir_ciface_tern_prefill` and `_mlir_ciface_tern_decode` share this signature.
using EntryPoint = void (*)(EntryPointResults *out, WeightsMemRef *weights, IdsMemRef *ids,
                            FloatMemRef2 *stateIn);

// `_mlir_ciface_tern_decode_batch`: one token of each of B sequences (ids [B]) and their states
// [B, L, H]; results are logits [B, V] and the new states [B, L, H].
using FloatMemRef3 = MemRefDescriptor<float, 3>;
struct BatchEntryPointResults {
  FloatMemRef2 logits;
  FloatMemRef3 state;
};
using BatchEntryPoint = void (*)(BatchEntryPointResults *out, WeightsMemRef *weights, IdsMemRef *ids,
                                 FloatMemRef3 *statesIn);

static_assert(sizeof(MemRefDescriptor<float, 1>) == 40, "memref descriptor layout");
static_assert(sizeof(FloatMemRef2) == 56, "memref descriptor layout");
static_assert(sizeof(EntryPointResults) == 112, "results struct layout");
static_assert(sizeof(BatchEntryPointResults) == 128, "results struct layout");

}  // namespace tern

#endif  // TERN_RUNTIME_MEMREF_ABI_H
