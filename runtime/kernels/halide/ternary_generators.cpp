// Halide generators of the ternary accumulate over the two_bit_tiled layout (ternary_kernels.h):
// one algorithm each for decode (gemv) and prefill (gemm), with the schedule of x86-64 AVX-512 VNNI.
// They run at build time (add_halide_library) and emit objects with no Halide runtime calls
// (no_runtime, no_asserts, no_bounds_query): ternary_x86_64_avx512_vnni_halide.cpp wraps them.
// Where a schedule of Halide 14 does not reach the hand-written kernels (AVX2: it cannot use the
// saturating vpmaddubsw, so it widens to 16 bits; 3x slower), those are used: docs/performance.md.
#include "Halide.h"

using namespace Halide;

namespace {

// The bytes of bit pair j of chunk c of row group g: row 16g + r, column 16c + 4j + i is byte
// 4r + i of the chunk (64 bytes), bits 2j and 2j + 1.
Expr chunkByte(const GeneratorInput<Buffer<uint8_t>> &w, Expr chunkStride, Expr g, Expr c, Expr r,
               Expr i) {
  return w(g * chunkStride * 64 + c * 64 + 4 * r + i);
}

// out(r, g) = acc_in(r, g) + sum over chunks c < chunks, j, i of (trit + 1) * x(16c + 4j + i)
// - sum_x: row 16g + r of a decode step (sum_x is the sum of x over the whole row, which removes the
// code offset). Bit pair j is masked in place (code << 2j, still a byte) rather than shifted, and
// summed in its own accumulator, scaled back exactly at the end: one and and one vpdpbusd per bit
// pair and chunk, and four independent accumulators.
class TernaryGemv : public Generator<TernaryGemv> {
 public:
  Input<Buffer<uint8_t>> w{"w", 1};
  Input<Buffer<int8_t>> x{"x", 1};
  Input<int32_t> chunkStride{"chunk_stride"};  // chunks per row group in w
  Input<int32_t> chunks{"chunks"};             // chunks to sum
  Input<int32_t> sumX{"sum_x"};
  Input<Buffer<int32_t>> accIn{"acc_in", 2};
  Output<Buffer<int32_t>> out{"out", 2};

  void generate() {
    Var r("r"), j("j"), g("g");
    RDom k(0, 4, 0, chunks, "k");
    Expr i = k.x, c = k.y;
    Expr masked = chunkByte(w, chunkStride, g, c, r, i) & (cast<uint8_t>(3) << cast<uint8_t>(2 * j));
    Func partial("partial");
    partial(r, j, g) = 0;
    partial(r, j, g) += cast<int32_t>(cast<int16_t>(masked) * cast<int16_t>(x(c * 16 + 4 * j + i)));
    out(r, g) = accIn(r, g) + partial(r, 0, g) + (partial(r, 1, g) >> 2) +
                (partial(r, 2, g) >> 4) + (partial(r, 3, g) >> 6) - sumX;

    out.bound(r, 0, 16).vectorize(r);
    partial.compute_at(out, g).vectorize(r).unroll(j);
    partial.update().reorder(k.x, r, j, k.y).atomic().vectorize(k.x).vectorize(r).unroll(j);
    // 96 chunks (6 KiB) ahead, as the hand-written kernel (docs/performance.md).
    partial.update().prefetch(w, k.y, k.y, 96);
    w.dim(0).set_min(0);
    x.dim(0).set_min(0);
    accIn.dim(0).set_bounds(0, 16);
    out.dim(0).set_bounds(0, 16);
  }
};

// out(r, g, t) = acc_in(r, g, t) + sum over chunks c < chunks, j, i of (trit + 1) * x(16c + 4j + i, t)
// - sum_x(t): row 16g + r, token t of a prefill. A chunk is decoded once (shift and mask) and
// multiplied with 16 tokens (64 vpdpbusd per chunk).
class TernaryGemm : public Generator<TernaryGemm> {
 public:
  Input<Buffer<uint8_t>> w{"w", 1};
  Input<Buffer<int8_t>> x{"x", 2};  // (k, t)
  Input<int32_t> chunkStride{"chunk_stride"};
  Input<int32_t> chunks{"chunks"};
  Input<Buffer<int32_t>> sumX{"sum_x", 1};  // (t)
  Input<Buffer<int32_t>> accIn{"acc_in", 3};
  Output<Buffer<int32_t>> out{"out", 3};

  void generate() {
    Var r("r"), g("g"), t("t"), b("b"), j("j"), c("c");
    Func code("code");
    code(b, j, c, g) = (w(g * chunkStride * 64 + c * 64 + b) >> cast<uint8_t>(2 * j)) &
                       cast<uint8_t>(3);
    RDom k(0, 4, 0, 4, 0, chunks, "k");
    Expr i = k.x, jj = k.y, cc = k.z;
    Func acc("acc");
    acc(r, g, t) = 0;
    acc(r, g, t) += cast<int32_t>(cast<int16_t>(code(4 * r + i, jj, cc, g)) *
                                  cast<int16_t>(x(cc * 16 + 4 * jj + i, t)));
    out(r, g, t) = accIn(r, g, t) + acc(r, g, t) - sumX(t);

    Var to("to"), ti("ti");
    // Blocks of 16 tokens outside, row groups inside: the block's activations stay in L1/L2
    // while the weights stream past (measured 12-15% faster than groups outside at 512 tokens,
    // where the activations of all tokens no longer fit L2).
    out.bound(r, 0, 16).vectorize(r).split(t, to, ti, 16, TailStrategy::GuardWithIf)
        .reorder(r, ti, g, to);
    acc.compute_at(out, g).store_in(MemoryType::Stack).vectorize(r).unroll(t);
    acc.update().reorder(k.x, r, t, k.y, k.z).atomic().vectorize(k.x).vectorize(r).unroll(t)
        .unroll(k.y);
    code.compute_at(acc, k.z).vectorize(b).unroll(j);
    w.dim(0).set_min(0);
    x.dim(0).set_min(0);
    accIn.dim(0).set_bounds(0, 16);
    out.dim(0).set_bounds(0, 16);
  }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(TernaryGemv, ternary_gemv)
HALIDE_REGISTER_GENERATOR(TernaryGemm, ternary_gemm)
