#include "function_call.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <set>
#include <utility>
#include <vector>

#include "model.h"

namespace tern {
namespace {

size_t dtypeSize(tern_dtype dtype) {
  switch (dtype) {
    case TERN_DTYPE_I8: return 1;
    case TERN_DTYPE_I16: return 2;
    case TERN_DTYPE_F32:
    case TERN_DTYPE_I32: return 4;
    case TERN_DTYPE_F64:
    case TERN_DTYPE_I64: return 8;
  }
  return 0;
}

std::string shapeText(const int64_t *shape, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i)
    text += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return text + "]";
}

std::string shapeText(const std::vector<int64_t> &shape) { return shapeText(shape.data(), shape.size()); }

int64_t elementCount(const int64_t *shape, size_t rank) {
  int64_t count = 1;
  for (size_t i = 0; i < rank; ++i) count *= shape[i];
  return count;
}

// A rank-R memref descriptor as 64-bit words: allocated, aligned, offset, sizes[R], strides[R]. Every
// field is 8 bytes, so a struct of several descriptors (a function's results) is their concatenation.
size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

void writeDescriptor(int64_t *words, void *data, const int64_t *shape, size_t rank) {
  std::memcpy(&words[0], &data, sizeof data);
  std::memcpy(&words[1], &data, sizeof data);
  words[2] = 0;
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    words[3 + i] = shape[i];
    words[3 + rank + i] = stride;
    stride *= shape[i];
  }
}

void *pointerAt(const int64_t *words, size_t i) {
  void *p;
  std::memcpy(&p, &words[i], sizeof p);
  return p;
}

// Calls `entry` with exactly N pointer arguments: every argument of a C-interface function is a
// pointer (to the results struct, to each memref descriptor).
template <size_t>
using Pointer = void *;

template <size_t... I>
void callWith(void *entry, void *const *pointers, std::index_sequence<I...>) {
  using Function = void (*)(Pointer<I>...);
  reinterpret_cast<Function>(entry)(pointers[I]...);
}

template <size_t N>
void callWithN(void *entry, void *const *pointers) {
  callWith(entry, pointers, std::make_index_sequence<N>{});
}

template <size_t... N>
constexpr std::array<void (*)(void *, void *const *), sizeof...(N)> makeCallers(
    std::index_sequence<N...>) {
  return {{&callWithN<N>...}};
}

constexpr auto kCallers = makeCallers(std::make_index_sequence<kArtifactMaxCallPointers + 1>{});

// Copies a strided memref of `rank` dimensions into a dense row-major buffer.
void copyStrided(const char *base, const int64_t *sizes, const int64_t *strides, size_t rank,
                 size_t elementSize, char *dst) {
  const int64_t count = elementCount(sizes, rank);
  if (count == 0) return;
  bool dense = true;
  for (int64_t i = static_cast<int64_t>(rank) - 1, expected = 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expected) dense = false;
    expected *= sizes[i];
  }
  if (dense) {
    std::memcpy(dst, base, static_cast<size_t>(count) * elementSize);
    return;
  }
  std::vector<int64_t> index(rank, 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (size_t i = 0; i < rank; ++i) offset += index[i] * strides[i];
    std::memcpy(dst + n * elementSize, base + offset * static_cast<int64_t>(elementSize), elementSize);
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < sizes[i]) break;
      index[i] = 0;
    }
  }
}

}  // namespace

const char *dtypeName(tern_dtype dtype) {
  switch (dtype) {
    case TERN_DTYPE_F32: return "f32";
    case TERN_DTYPE_F64: return "f64";
    case TERN_DTYPE_I8: return "i8";
    case TERN_DTYPE_I16: return "i16";
    case TERN_DTYPE_I32: return "i32";
    case TERN_DTYPE_I64: return "i64";
  }
  return "?";
}

bool dtypeFromName(const std::string &name, tern_dtype *out) {
  for (tern_dtype d : {TERN_DTYPE_F32, TERN_DTYPE_F64, TERN_DTYPE_I8, TERN_DTYPE_I16,
                       TERN_DTYPE_I32, TERN_DTYPE_I64}) {
    if (name == dtypeName(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

RunOutcome callFunction(const LoadedFunction &fn, const unsigned char *weights, size_t weightsSize,
                        const tern_tensor *args, size_t numArgs, tern_tensor *results,
                        size_t numResults, std::string *error) {
  const ArtifactFunction &sig = *fn.signature;
  auto badInput = [&](const std::string &what) {
    *error = "function " + sig.name + ": " + what;
    return RunOutcome::BadInput;
  };
  if (numArgs != sig.arguments.size())
    return badInput("takes " + std::to_string(sig.arguments.size()) + " arguments, got " +
                    std::to_string(numArgs));
  if (numResults != sig.results.size())
    return badInput("returns " + std::to_string(sig.results.size()) + " results, room for " +
                    std::to_string(numResults) + " given");
  if (numArgs && !args) return badInput("args is null");
  if (numResults && !results) return badInput("results is null");

  // The caller's memory, which results must never alias.
  std::vector<std::pair<const char *, const char *>> callerMemory{
      {reinterpret_cast<const char *>(weights), reinterpret_cast<const char *>(weights) + weightsSize}};
  for (size_t i = 0; i < numArgs; ++i) {
    const ArtifactTensorSpec &spec = sig.arguments[i];
    const tern_tensor &arg = args[i];
    const std::string which = "argument " + std::to_string(i);
    tern_dtype expected;
    dtypeFromName(spec.dtype, &expected);  // checked when the manifest was read
    if (arg.dtype != expected)
      return badInput(which + " must be " + spec.dtype + ", got " + dtypeName(arg.dtype));
    if (arg.rank < 0 || static_cast<size_t>(arg.rank) != spec.shape.size())
      return badInput(which + " must have shape " + shapeText(spec.shape) + ", got rank " +
                      std::to_string(arg.rank));
    for (size_t d = 0; d < spec.shape.size(); ++d) {
      if (arg.shape[d] < 0 || (spec.shape[d] >= 0 && arg.shape[d] != spec.shape[d]))
        return badInput(which + " must have shape " + shapeText(spec.shape) + ", got " +
                        shapeText(arg.shape, spec.shape.size()));
    }
    const int64_t count = elementCount(arg.shape, spec.shape.size());
    if (count > 0 && !arg.data) return badInput(which + " has no data");
    const char *begin = static_cast<const char *>(arg.data);
    callerMemory.push_back({begin, begin + count * static_cast<int64_t>(dtypeSize(arg.dtype))});
  }

  // Descriptors: the weights, then each argument; the results struct the code fills in.
  int64_t weightsShape = static_cast<int64_t>(weightsSize);
  std::vector<int64_t> weightsWords(descriptorWords(1));
  writeDescriptor(weightsWords.data(), const_cast<unsigned char *>(weights), &weightsShape, 1);
  std::vector<std::vector<int64_t>> argWords(numArgs);
  for (size_t i = 0; i < numArgs; ++i) {
    argWords[i].resize(descriptorWords(sig.arguments[i].shape.size()));
    writeDescriptor(argWords[i].data(), args[i].data, args[i].shape, sig.arguments[i].shape.size());
  }
  std::vector<size_t> resultAt;
  size_t resultWords = 0;
  for (const ArtifactTensorSpec &spec : sig.results) {
    resultAt.push_back(resultWords);
    resultWords += descriptorWords(spec.shape.size());
  }
  std::vector<int64_t> out(resultWords, 0);
  std::vector<void *> pointers;
  if (numResults) pointers.push_back(out.data());
  pointers.push_back(weightsWords.data());
  for (std::vector<int64_t> &words : argWords) pointers.push_back(words.data());
  kCallers[pointers.size()](fn.entry, pointers.data());

  // Frees each buffer the code allocated, once, however this function returns; never one of the
  // caller's.
  auto ownedByCaller = [&](const void *p) {
    for (auto [begin, end] : callerMemory)
      if (std::less_equal<const void *>()(begin, p) && std::less<const void *>()(p, end)) return true;
    return false;
  };
  std::set<void *> allocated;
  for (size_t r = 0; r < numResults; ++r)
    if (void *p = pointerAt(&out[resultAt[r]], 0); p && !ownedByCaller(p)) allocated.insert(p);
  struct FreeAll {
    std::set<void *> &buffers;
    ~FreeAll() {
      for (void *p : buffers) std::free(p);
    }
  } freeAll{allocated};

  auto brokenAbi = [&](size_t r, const std::string &what) {
    *error = "function " + sig.name + " broke the ABI: result " + std::to_string(r) + " " + what;
    return RunOutcome::BrokenAbi;
  };
  for (size_t r = 0; r < numResults; ++r) {
    const ArtifactTensorSpec &spec = sig.results[r];
    const int64_t *words = &out[resultAt[r]];
    const size_t rank = spec.shape.size();
    const int64_t *sizes = words + 3, *strides = words + 3 + rank;
    for (size_t d = 0; d < rank; ++d)
      if (sizes[d] < 0 || (spec.shape[d] >= 0 && sizes[d] != spec.shape[d]))
        return brokenAbi(r, "has shape " + shapeText(sizes, rank) + ", expected " +
                                shapeText(spec.shape));
    const void *buffer = pointerAt(words, 0);
    if (buffer && ownedByCaller(buffer)) return brokenAbi(r, "is a buffer the runtime passed in");
    if (elementCount(sizes, rank) > 0 && !pointerAt(words, 1)) return brokenAbi(r, "is null");
  }

  // Dense copies for the caller.
  size_t copied = 0;
  auto releaseCopies = [&] {
    for (size_t r = 0; r < copied; ++r) tern_tensor_release(&results[r]);
  };
  for (size_t r = 0; r < numResults; ++r) {
    const ArtifactTensorSpec &spec = sig.results[r];
    const int64_t *words = &out[resultAt[r]];
    const size_t rank = spec.shape.size();
    tern_tensor &result = results[r];
    dtypeFromName(spec.dtype, &result.dtype);
    result.rank = static_cast<int32_t>(rank);
    std::memcpy(result.shape, words + 3, rank * sizeof(int64_t));
    const size_t size = dtypeSize(result.dtype);
    const size_t bytes = static_cast<size_t>(elementCount(result.shape, rank)) * size;
    result.data = std::malloc(bytes ? bytes : 1);
    if (!result.data) {
      releaseCopies();
      throw std::bad_alloc();
    }
    ++copied;
    const char *aligned = static_cast<const char *>(pointerAt(words, 1));
    copyStrided(aligned + words[2] * static_cast<int64_t>(size), words + 3, words + 3 + rank, rank,
                size, static_cast<char *>(result.data));
  }
  return RunOutcome::Ok;
}

}  // namespace tern
