// Halide generators of the ternary accumulate over the two_bit_tiled layout (ternary_kernels.h):
// one algorithm each for decode (gemv) and prefill (gemm), with a schedule for x86-64 AVX-512 VNNI
// and one for AArch64 dotprod (get_target().arch == ARM; there the products are int8 x int8 for
// sdot). They run at build time (add_halide_library) and emit objects with no Halide runtime calls
// (no_runtime, no_asserts, no_bounds_query): ternary_x86_64_avx512_vnni_halide.cpp and, in the
// AArch64 cross build, ternary_arm_64_dotprod_halide.cpp wrap them.
// Where a schedule of Halide 14 does not reach the hand-written kernels (AVX2: it cannot use the
// saturating vpmaddubsw, so it widens to 16 bits; 3x slower), those are used: docs/performance.md.
// The base3_tiled generators (TernaryGemvBase3, TernaryGemmBase3) are such a case: Halide 14 emits
// the digit table lookup as a scalar gather, not vpermi2b, and without a table the decode costs
// more than the hand-written avx512_vbmi kernels spend; they are built only for bench/layout/.
#include "Halide.h"

using namespace Halide;

namespace {

// The bytes of bit pair j of chunk c of row group g: row 16g + r, column 16c + 4j + i is byte
// 4r + i of the chunk (64 bytes), bits 2j and 2j + 1.
Expr chunkByte(const GeneratorInput<Buffer<uint8_t>> &w, Expr chunkStride, Expr g, Expr c, Expr r,
               Expr i) {
  return w(g * chunkStride * 64 + c * 64 + 4 * r + i);
}

// The schedule of both tiled gemvs (TernaryGemv, TernaryGemvBase3) for generator `gen`: 16 rows
// of a row group in the vector lanes, the per-digit partial sums computed per group and unrolled
// over the digits, the reduction over a chunk's 4 columns vectorized (vpdpbusd), and the weights
// prefetched 96 chunks (6 KiB) ahead, as the hand-written kernel (docs/performance.md).
template <typename Gen>
void scheduleTiledGemv(Gen &gen, Func partial, RDom k, Var r, Var j, Var g) {
  gen.out.bound(r, 0, 16).vectorize(r);
  partial.compute_at(gen.out, g).vectorize(r).unroll(j);
  partial.update().reorder(k.x, r, j, k.y).atomic().vectorize(k.x).vectorize(r).unroll(j);
  partial.update().prefetch(gen.w, k.y, k.y, 96);
  gen.w.dim(0).set_min(0);
  gen.x.dim(0).set_min(0);
  gen.accIn.dim(0).set_bounds(0, 16);
  gen.out.dim(0).set_bounds(0, 16);
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
    Expr byte = chunkByte(w, chunkStride, g, c, r, i);
    // AArch64's sdot multiplies two signed bytes (udot two unsigned; no mixed form before
    // ARMv8.6): bit pair 3 in place (up to 192) is no int8, so it is shifted down instead and
    // summed unscaled, as the hand-written ternary_arm_64_dotprod.cpp does.
    const bool arm = get_target().arch == Target::ARM;
    Expr masked = byte & (cast<uint8_t>(3) << cast<uint8_t>(2 * j));
    Expr weight = cast<int16_t>(masked);
    if (arm) weight = cast<int16_t>(cast<int8_t>(select(j < 3, masked, byte >> cast<uint8_t>(6))));
    Func partial("partial");
    partial(r, j, g) = 0;
    partial(r, j, g) += cast<int32_t>(weight * cast<int16_t>(x(c * 16 + 4 * j + i)));
    out(r, g) = accIn(r, g) + partial(r, 0, g) + (partial(r, 1, g) >> 2) +
                (partial(r, 2, g) >> 4) + (arm ? partial(r, 3, g) : partial(r, 3, g) >> 6) - sumX;

    scheduleTiledGemv(*this, partial, k, r, j, g);
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
    // AArch64: codes as int8, so that the products are sdot's (see TernaryGemv).
    const bool arm = get_target().arch == Target::ARM;
    Expr weight = code(4 * r + i, jj, cc, g);
    weight = arm ? cast<int16_t>(cast<int8_t>(weight)) : cast<int16_t>(weight);
    acc(r, g, t) += cast<int32_t>(weight * cast<int16_t>(x(cc * 16 + 4 * jj + i, t)));
    out(r, g, t) = accIn(r, g, t) + acc(r, g, t) - sumX(t);

    Var to("to"), ti("ti"), q("q"), rq("rq");
    if (arm) {
      // NEON has 32 registers of 4 int32 lanes, not AVX-512's 32 of 16: a quad of 4 rows times
      // 8 tokens is 8 accumulators, and the quad's 16 bytes of a chunk are decoded into 4 sdot
      // operands once for the 8 tokens (the hand-written kernel's blocking).
      out.bound(r, 0, 16).split(r, q, rq, 4).vectorize(rq)
          .split(t, to, ti, 8, TailStrategy::GuardWithIf).reorder(rq, ti, q, g, to);
      acc.compute_at(out, q).store_in(MemoryType::Stack).vectorize(r).unroll(t);
    } else {
      // Blocks of 16 tokens outside, row groups inside: the block's activations stay in L1/L2
      // while the weights stream past (measured 12-15% faster than groups outside at 512
      // tokens, where the activations of all tokens no longer fit L2).
      out.bound(r, 0, 16).vectorize(r).split(t, to, ti, 16, TailStrategy::GuardWithIf)
          .reorder(r, ti, g, to);
      acc.compute_at(out, g).store_in(MemoryType::Stack).vectorize(r).unroll(t);
    }
    acc.update().reorder(k.x, r, t, k.y, k.z).atomic().vectorize(k.x).vectorize(r).unroll(t)
        .unroll(k.y);
    code.compute_at(acc, k.z).vectorize(b).unroll(j);
    w.dim(0).set_min(0);
    x.dim(0).set_min(0);
    accIn.dim(0).set_bounds(0, 16);
    out.dim(0).set_bounds(0, 16);
  }
};


// base3_tiled (ternary_kernels.h): 16 rows x 20 columns per 64-byte chunk, byte 4r + i of chunk c
// = sum_j code_j * 3^j over row 16g + r, columns 20c + 4j + i (j = 0..4). The same decode as the
// hand-written ternary_x86_64_avx512_vbmi.cpp, with Halide choosing the instructions:
//   r81 = b mod 81 from two rounds of min(r, r - 81) (uint8 wraps, so the subtraction wins only when
//   r >= 81); digit 4 in place as b - r81 = 81 * code_4.
// Digits 0..3, by `decode`:
//   table:  the 2-bit byte code_0 | code_1 << 2 | code_2 << 4 | code_3 << 6 = table(r81) (the
//           hand-written kernel's vpermi2b), masked in place (code_j << 2j) as the two_bit gemv;
//   rounds: no table: r27, r9, r3 by two more min rounds each, digit j in place as 3^j * code_j
//           (r81 - r27 = 27 * code_3, ..., r3 = code_0).
// Each digit is summed in its own accumulator and scaled back exactly at the end (>> 2j, or times
// the inverse of 3^j modulo 2^32: the sum of digit j is a multiple of 3^j). docs/performance.md
// has the measurement and which one runs.
Expr mod3Power(Expr b, int power) {  // b mod power for b < 3 * power (two subtract-min rounds)
  Expr p = cast<uint8_t>(power);
  Expr r = min(b, b - p);
  return min(r, r - p);
}

uint32_t inverseMod2To32(uint32_t a) {  // a odd
  uint32_t x = a;
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}

class TernaryGemvBase3 : public Generator<TernaryGemvBase3> {
 public:
  GeneratorParam<std::string> decode{"decode", "table"};
  Input<Buffer<uint8_t>> w{"w", 1};
  Input<Buffer<int8_t>> x{"x", 1};
  Input<Buffer<uint8_t>> table{"table", 1};  // 256 entries, of which 0..80 are read
  Input<int32_t> chunkStride{"chunk_stride"};
  Input<int32_t> chunks{"chunks"};
  Input<int32_t> sumX{"sum_x"};
  Input<Buffer<int32_t>> accIn{"acc_in", 2};
  Output<Buffer<int32_t>> out{"out", 2};

  void generate() {
    const bool useTable = std::string(decode) == "table";
    Var r("r"), j("j"), g("g");
    RDom k(0, 4, 0, chunks, "k");
    Expr i = k.x, c = k.y;
    Expr b = chunkByte(w, chunkStride, g, c, r, i);
    Expr r81 = mod3Power(b, 81);
    Expr digit;  // digit j of b, in place
    if (useTable) {
      Expr low4 = table(cast<int32_t>(r81));
      digit = select(j == 4, b - r81, low4 & (cast<uint8_t>(3) << cast<uint8_t>(2 * min(j, 3))));
    } else {
      Expr r27 = mod3Power(r81, 27), r9 = mod3Power(r27, 9), r3 = mod3Power(r9, 3);
      digit = select(j == 4, b - r81, j == 3, r81 - r27, j == 2, r27 - r9, j == 1, r9 - r3, r3);
    }
    Func partial("partial");
    partial(r, j, g) = 0;
    partial(r, j, g) += cast<int32_t>(cast<int16_t>(digit) * cast<int16_t>(x(c * 20 + 4 * j + i)));
    auto times = [&](Expr v, uint32_t m) {
      return cast<int32_t>(cast<uint32_t>(v) * Internal::make_const(UInt(32), uint64_t(m)));
    };
    Expr sum = partial(r, 4, g);
    sum = times(sum, inverseMod2To32(81));
    if (useTable) {
      sum = sum + partial(r, 0, g) + (partial(r, 1, g) >> 2) + (partial(r, 2, g) >> 4) +
            (partial(r, 3, g) >> 6);
    } else {
      sum = sum + partial(r, 0, g) + times(partial(r, 1, g), inverseMod2To32(3)) +
            times(partial(r, 2, g), inverseMod2To32(9)) +
            times(partial(r, 3, g), inverseMod2To32(27));
    }
    out(r, g) = accIn(r, g) + sum - sumX;

    partial.bound(j, 0, 5);
    scheduleTiledGemv(*this, partial, k, r, j, g);
    table.dim(0).set_bounds(0, 256);
  }
};


// The base3_tiled prefill: as TernaryGemm (a chunk decoded once, used for 16 tokens), with the
// digits decoded without a table (Halide 14 cannot emit the table lookup as vpermi2b, see
// TernaryGemvBase3) into plain codes: code_j = (r >= 3^j) + (r >= 2 * 3^j) with r = b mod 3^(j+1)
// from the subtract-min rounds.
class TernaryGemmBase3 : public Generator<TernaryGemmBase3> {
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
    Func rem("rem");  // rem(b, level, c, g) = byte mod 3^(5 - level), level 0 = the byte itself
    Expr byte = w(g * chunkStride * 64 + c * 64 + b);
    Expr r81 = mod3Power(byte, 81), r27 = mod3Power(r81, 27), r9 = mod3Power(r27, 9),
         r3 = mod3Power(r9, 3);
    auto codeOf = [](Expr rHigh, int power) {  // digit of rHigh < 3 * power at `power`
      return cast<uint8_t>(rHigh >= cast<uint8_t>(power)) +
             cast<uint8_t>(rHigh >= cast<uint8_t>(2 * power));
    };
    Func code("code");
    code(b, j, c, g) = select(j == 0, r3, j == 1, codeOf(r9, 3), j == 2, codeOf(r27, 9),
                              j == 3, codeOf(r81, 27), codeOf(byte, 81));
    RDom k(0, 4, 0, 5, 0, chunks, "k");
    Expr i = k.x, jj = k.y, cc = k.z;
    Func acc("acc");
    acc(r, g, t) = 0;
    acc(r, g, t) += cast<int32_t>(cast<int16_t>(code(4 * r + i, jj, cc, g)) *
                                  cast<int16_t>(x(cc * 20 + 4 * jj + i, t)));
    out(r, g, t) = accIn(r, g, t) + acc(r, g, t) - sumX(t);

    Var to("to"), ti("ti");
    out.bound(r, 0, 16).vectorize(r).split(t, to, ti, 16, TailStrategy::GuardWithIf)
        .reorder(r, ti, g, to);
    acc.compute_at(out, g).store_in(MemoryType::Stack).vectorize(r).unroll(t);
    acc.update().reorder(k.x, r, t, k.y, k.z).atomic().vectorize(k.x).vectorize(r).unroll(t)
        .unroll(k.y);
    code.bound(j, 0, 5);
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
HALIDE_REGISTER_GENERATOR(TernaryGemvBase3, ternary_gemv_base3)
HALIDE_REGISTER_GENERATOR(TernaryGemmBase3, ternary_gemm_base3)
