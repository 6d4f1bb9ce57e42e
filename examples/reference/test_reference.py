#!/usr/bin/python3
"""Self-test of the NumPy reference tooling. Run: /usr/bin/python3 examples/reference/test_reference.py
Exits non-zero on the first failure. Takes a few seconds; writes only to a temp directory."""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_np as stn  # noqa: E402
import make_random_checkpoint as mrc  # noqa: E402
import tern_reference as tr  # noqa: E402
import compare_logits as cl  # noqa: E402

PY = "/usr/bin/python3"
F32 = np.float32
H, L, V = 64, 2, 100
TOKENS = [5, 17, 42, 3, 99, 0, 1, 2, 64, 17, 17, 80]

_checks = 0


def check(cond, what):
    global _checks
    _checks += 1
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("  ok  " + what)


def run(args, expect_rc=0):
    p = subprocess.run([PY] + args, capture_output=True, text=True)
    if p.returncode != expect_rc:
        print(p.stdout + p.stderr, file=sys.stderr)
        check(False, "%s exited %d, expected %d" % (" ".join(args), p.returncode, expect_rc))
    return p.stdout


def rel_l2(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ----------------------------------------------------------------------------- safetensors

def test_bf16_conversion():
    print("bf16 conversion")
    cases = {  # fp32 bits -> expected bf16 bits
        0x3F800000: 0x3F80,  # 1.0 exact
        0x3F808000: 0x3F80,  # tie, kept part even -> down
        0x3F818000: 0x3F82,  # tie, kept part odd -> up
        0x3F808001: 0x3F81,  # just above tie -> up
        0x3F807FFF: 0x3F80,  # just below tie -> down
        0xBF808001: 0xBF81,  # sign symmetric
        0x7F7FFFFF: 0x7F80,  # FLT_MAX rounds to +inf
        0x7F800000: 0x7F80,  # +inf
        0xFF800000: 0xFF80,  # -inf
        0x80000000: 0x8000,  # -0
        0x00000001: 0x0000,  # smallest denormal rounds to 0
    }
    x = np.array(list(cases), dtype=np.uint32).view(F32)
    got = stn.f32_to_bf16_bits(x)
    check(list(got) == list(cases.values()), "hand RNE cases")
    nan = stn.f32_to_bf16_bits(np.array([np.nan, -np.nan, np.uint32(0x7FFFFFFF).view(F32)], F32))
    check(bool(np.all(np.isnan(stn.bf16_bits_to_f32(nan)))), "NaN stays NaN")

    # Random values: the result must be the nearer of the two neighbouring bf16 values, ties even.
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(200000) * np.exp(rng.uniform(-30, 30, 200000))).astype(F32)
    b = stn.f32_to_bf16_bits(x)
    lo = (x.view(np.uint32) >> 16).astype(np.uint16)   # truncation (toward zero in magnitude)
    hi = lo + np.uint16(1)
    d_lo = np.abs(stn.bf16_bits_to_f32(lo).astype(np.float64) - x)
    d_hi = np.abs(stn.bf16_bits_to_f32(hi).astype(np.float64) - x)
    want = np.where(d_lo < d_hi, lo, np.where(d_hi < d_lo, hi, np.where(lo % 2 == 0, lo, hi)))
    check(np.array_equal(b, want), "random values round to nearest, ties to even")
    all_bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    back = stn.f32_to_bf16_bits(stn.bf16_bits_to_f32(all_bits))
    finite = ~np.isnan(stn.bf16_bits_to_f32(all_bits))
    check(np.array_equal(back[finite], all_bits[finite]), "bf16 -> f32 -> bf16 is the identity")


def test_safetensors_roundtrip(tmp, ck_dirs):
    print("safetensors round trip")
    rng = np.random.default_rng(1)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-40, 3.4e38], F32)
    tensors = {
        "bf16_all_bits": ("BF16", np.arange(65536, dtype=np.uint32).astype(np.uint16).reshape(256, 256)),
        "f32": np.concatenate([specials, rng.standard_normal(1000).astype(F32)]).reshape(8, 126),
        "f16": rng.standard_normal((3, 5)).astype(np.float16),
        "i8": rng.integers(-128, 128, (7,), dtype=np.int8),
        "i32": rng.integers(-2**31, 2**31, (2, 2, 2), dtype=np.int32),
        "i64": np.array([-1, 2**62], np.int64),
        "empty": np.zeros((0, 4), F32),
        "scalar": np.array(1.5, F32),
    }
    path = os.path.join(tmp, "rt.safetensors")
    stn.save_file(tensors, path, metadata={"format": "pt", "k": "v"})
    st = stn.SafetensorsFile(path)
    check(st.metadata == {"format": "pt", "k": "v"}, "metadata round trip")
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
    check((8 + n) % 8 == 0, "data section starts 8-byte aligned")
    ok = True
    for k, v in tensors.items():
        dt, arr = v if isinstance(v, tuple) else (None, v)
        got = st.raw(k)
        ok &= got.shape == arr.shape and got.tobytes() == arr.tobytes()
        ok &= dt is None or st.info(k)[0] == dt
    check(ok, "synthetic tensors (all bf16 bit patterns, inf/nan/denormal f32, f16, ints, empty, scalar) bit-exact")
    check(np.array_equal(st.get("bf16_all_bits").view(np.uint32) >> 16,
                         tensors["bf16_all_bits"][1].astype(np.uint32)), "bf16 -> f32 conversion exact")
    check(st.get("f16").dtype == F32 and np.array_equal(st.get("f16"), tensors["f16"].astype(F32)),
          "f16 -> f32 conversion")

    # Re-writing a generated checkpoint's tensors with the same order/metadata gives identical bytes.
    src = os.path.join(ck_dirs["bf16"], "model.safetensors")
    st = stn.SafetensorsFile(src)
    out = os.path.join(tmp, "rewrite.safetensors")
    stn.save_file({k: (st.info(k)[0], st.raw(k)) for k in st.keys()}, out, st.metadata)
    with open(src, "rb") as a, open(out, "rb") as b:
        check(a.read() == b.read(), "checkpoint file re-written byte-identical")

    # Same seed: the f32, bf16 and sharded checkpoints hold the same values.
    c32, c16, csh = (stn.open_checkpoint(ck_dirs[k]) for k in ("f32", "bf16", "sharded"))
    check(sorted(c16.keys()) == sorted(csh.keys()) == sorted(c32.keys()), "same tensor names in all forms")
    check(all(np.array_equal(c16.raw(k), csh.raw(k)) for k in c16.keys()), "sharded == single file, bit-exact")
    check(all(np.array_equal(c16.raw(k), stn.f32_to_bf16_bits(c32.raw(k))) for k in c16.keys()),
          "bf16 checkpoint == RNE(f32 checkpoint), bit-exact")
    with open(os.path.join(ck_dirs["sharded"], "model.safetensors.index.json")) as f:
        idx = json.load(f)
    check(len(set(idx["weight_map"].values())) == 3 and
          idx["metadata"]["total_size"] == 2 * mrc.param_count(mrc.tensor_specs(H, L, V, 256)),
          "index has 3 shards and the right total_size")


def test_checkpoint_layout(ck_dirs):
    print("checkpoint layout")
    with open(os.path.join(ck_dirs["bf16"], "config.json")) as f:
        cfg = json.load(f)
    want = {"model_type": "hgrn_bit", "hidden_size": H, "num_hidden_layers": L, "vocab_size": V,
            "num_heads": 1, "expand_ratio": 1, "hidden_ratio": 4, "intermediate_size": None,
            "rms_norm_eps": 1e-6, "use_lower_bound": True, "use_short_conv": False,
            "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": False,
            "torch_dtype": "bfloat16"}
    check(all(cfg.get(k, "missing") == v for k, v in want.items()), "config.json fields")
    check(mrc.derived_intermediate_size(64) == 256 and mrc.derived_intermediate_size(1024) == 2816 and
          mrc.derived_intermediate_size(2048) == 5632 and mrc.derived_intermediate_size(2560) == 6912,
          "derived intermediate sizes")
    ck = stn.open_checkpoint(ck_dirs["bf16"])
    specs = mrc.tensor_specs(H, L, V, 256)
    check(sorted(ck.keys()) == sorted(n for n, _, _ in specs) and
          all(ck.info(n) == ("BF16", s) for n, s, _ in specs), "tensor names, shapes, dtype")
    w = ck.get("model.layers.0.attn.i_proj.weight")
    g = ck.get("model.layers.0.attn.i_proj.norm.weight")
    check(0.8 < w.std() < 1.2 and abs(g.mean() - 1) < 0.05 and 0.05 < g.std() < 0.15,
          "weights ~N(0,1), norms ~1+0.1N(0,1)")
    for preset, n in mrc.EXPECTED_PARAMS.items():
        out = run([os.path.join(HERE, "make_random_checkpoint.py"), "--preset", preset, "--count-only"])
        check(int(out) == n, "--count-only %s = %d" % (preset, n))


# ----------------------------------------------------------------------------- BitLinear

def test_bitlinear_by_hand():
    print("BitLinear by hand")
    # Rows chosen so that no y*s_x lands near a .5 boundary (eps 1e-6 only shifts values by ~1e-7).
    x = np.array([[5.0, -2.0, 1.0], [-3.0, 0.3, 1.2]], F32)
    g = np.array([1.0, 2.0, 0.5], F32)
    # y = x * g / rms(x); the per-row scale makes the largest |y| map to 127:
    #   row 0: x*g = [5, -4, 0.5]    -> 127*[1, -0.8, 0.1] = [127, -101.6, 12.7] -> q [127, -102, 13]
    #   row 1: x*g = [-3, 0.6, 0.6]  -> 127*[-1, 0.2, 0.2] = [-127, 25.4, 25.4]  -> q [-127, 25, 25]
    y = tr.rms_norm(x, g, tr.BITLINEAR_EPS)
    q, s_x = tr.quantize_activations(y)
    check(q.tolist() == [[127, -102, 13], [-127, 25, 25]], "activation quantisation q")
    W = np.array([[0.9, -0.1, -0.6], [0.2, 0.5, -1.4]], F32)
    # mean|W| = 3.7/6, s_w = 6/3.7 = 1.6216; W*s_w = [[1.46, -0.16, -0.97], [0.32, 0.81, -2.27]]
    t, s_w = tr.ternarize(W)
    check(t.tolist() == [[1, 0, -1], [0, 1, -1]] and abs(s_w - 6 / 3.7) < 1e-6, "ternarised weights")
    # acc = q @ t.T: row0 [127-13, -102-13] = [114, -115]; row1 [-127-25, 25-25] = [-152, 0]
    # out = acc / (s_x * s_w) = acc * max|y| / (127 * s_w), max|y| = 5/rms0, 3/rms1
    rms = np.sqrt([30.0 / 3 + 1e-6, 10.53 / 3 + 1e-6])
    maxy = np.array([5.0, 3.0]) / rms
    want = np.array([[114, -115], [-152, 0]]) * (maxy / (127 * (6 / 3.7)))[:, None]
    out = tr.BitLinear(W, g)(x)
    check(out.dtype == F32 and np.allclose(out, want, rtol=1e-6, atol=0), "BitLinear output %s" % out.tolist())
    check(np.array_equal(tr.BitLinear(W, g, np.int8)(x), out), "int8 trit cache gives the same output")

    v = np.array([0.5, -0.5, 1.5, -2.5, 2.5, 0.49999997, -0.49999997, 2.4999998, 126.5, -127.5], F32)
    check(tr.round_half_away_from_zero(v).tolist() == [1, -1, 2, -3, 3, 0, 0, 2, 127, -128],
          "round half away from zero (including 0.49999997)")
    # Weight rounding is half-to-even: W*s_w = 0.5 -> 0 and 1.5 -> 2 -> clipped 1.
    Wt = np.array([[0.5, 1.5, -0.5, -1.5, 1.0, 1.0]], F32)  # mean|W| = 1 exactly -> s_w = 1
    t, s_w = tr.ternarize(Wt)
    check(s_w == 1 and t.tolist() == [[0, 1, 0, -1, 1, 1]], "weight rounding half to even")
    check(tr.ternarize(np.zeros((2, 2), F32))[1] == F32(1e5), "s_w clamp at mean 1e-5")
    q0, sx0 = tr.quantize_activations(np.zeros((1, 4), F32))
    check(not q0.any() and sx0[0, 0] == F32(127 / 1e-5), "zero row: s_x clamp, q = 0")

    rng = np.random.default_rng(3)
    q = rng.integers(-128, 128, (5, 6912)).astype(F32)
    t = rng.integers(-1, 2, (300, 6912)).astype(np.int8)
    exact = q.astype(np.int64) @ t.astype(np.int64).T
    check(np.array_equal(tr.int_matmul(q, t.astype(F32)), exact.astype(F32)) and
          np.array_equal(tr.int_matmul(q[:1], t), exact[:1].astype(F32)),
          "float32 BLAS integer matmul is exact (K=6912)")


# ----------------------------------------------------------------------------- model

def naive_logits(model_dir, ids):
    """An independent, deliberately plain re-implementation (token by token, int64 matmuls,
    float64-based rounding), to cross-check tern_reference.Reference."""
    ck = stn.open_checkpoint(model_dir)
    cfg = ck.config
    Hh, Ll = cfg["hidden_size"], cfg["num_hidden_layers"]
    I = mrc.derived_intermediate_size(Hh)
    eps = F32(cfg["rms_norm_eps"])

    def norm(v, w, e):
        return (v * (F32(1) / np.sqrt(np.mean(v * v, dtype=F32) + e))) * w

    def bitlinear(name, v):
        W = ck.get(name + ".weight")
        sw = F32(1.0 / max(np.abs(W.astype(np.float64)).mean(), 1e-5))
        t = np.clip(np.rint(W * sw), -1, 1).astype(np.int64)
        y = norm(v, ck.get(name + ".norm.weight"), F32(1e-6))
        sx = F32(127) / max(np.max(np.abs(y)), F32(1e-5))
        z = (y * sx).astype(np.float64)             # exact widening; then ties away from zero
        q = np.clip(np.sign(z) * np.floor(np.abs(z) + 0.5), -128, 127).astype(np.int64)
        return (t @ q).astype(F32) / (sx * sw)

    def sig(z):
        with np.errstate(over="ignore"):
            return F32(1) / (F32(1) + np.exp(-z))

    raw = ck.get("model.lower_bounds")
    e = np.exp(raw - raw.max(axis=0))
    sm = e / e.sum(axis=0, dtype=F32)
    lbs = np.cumsum(sm, axis=0, dtype=F32) - sm[0]
    emb = ck.get("model.embeddings.weight")
    state = np.zeros((Ll, Hh), F32)
    out = []
    for tok in ids:
        h = emb[tok]
        for i in range(Ll):
            p = "model.layers.%d." % i
            x = norm(h, ck.get(p + "attn_norm.weight"), eps)
            a = bitlinear(p + "attn.i_proj", x)
            f = sig(bitlinear(p + "attn.f_proj", x))
            if i > 0:
                f = lbs[i] + (F32(1) - lbs[i]) * f
            state[i] = f * state[i] + (a * sig(a)) * (F32(1) - f)
            o = norm(bitlinear(p + "attn.g_proj", x), ck.get(p + "attn.g_norm.weight"), eps) \
                * state[i] * sig(state[i])
            r = h + bitlinear(p + "attn.o_proj", o)
            gu = bitlinear(p + "mlp.gate_proj", norm(r, ck.get(p + "mlp_norm.weight"), eps))
            h = r + bitlinear(p + "mlp.down_proj", gu[:I] * sig(gu[:I]) * gu[I:])
        out.append(bitlinear("lm_head", norm(h, ck.get("model.norm.weight"), eps)))
    return np.stack(out)


def test_model(tmp, ck_dirs):
    print("model")
    results = {}
    for kind in ("bf16", "f32", "sharded"):
        ref = tr.Reference(ck_dirs[kind])
        logits, state = ref.forward(TOKENS)
        dec, dstate = ref.forward_decode_steps(TOKENS)
        check(logits.shape == (len(TOKENS), V) and logits.dtype == F32 and state.shape == (L, H),
              "[%s] shapes" % kind)
        check(rel_l2(dec, logits) < 1e-5 and rel_l2(dstate, state) < 1e-5,
              "[%s] prefill == token-by-token decode (rel L2 %.1e)" % (kind, rel_l2(dec, logits)))
        l1, s1 = ref.forward(TOKENS[:5])
        l2, _ = ref.forward(TOKENS[5:], s1)
        check(rel_l2(np.concatenate([l1, l2]), logits) < 1e-5, "[%s] split prefill continues the state" % kind)
        check(bool(np.all(logits.std(axis=1) > 1)), "[%s] decisive logits (min row std %.2f)"
              % (kind, logits.std(axis=1).min()))
        check(ref.lower_bounds[0].tolist() == [0.0] * H, "[%s] lb[0] == 0 exactly" % kind)
        lb = ref.lower_bounds
        check(bool(np.all(np.diff(lb, axis=0) >= 0) and np.all(lb < 1)), "[%s] lb non-decreasing, < 1" % kind)
        naive = naive_logits(ck_dirs[kind], TOKENS)
        check(rel_l2(logits, naive) < 1e-5, "[%s] agrees with the independent naive version (rel L2 %.1e)"
              % (kind, rel_l2(logits, naive)))
        results[kind] = (ref, logits)

    ref, logits = results["bf16"]
    check(np.array_equal(results["sharded"][1], logits), "sharded and single-file logits identical")
    check(rel_l2(results["f32"][1], logits) > 1e-4, "f32 and bf16 checkpoints differ (bf16 really rounds)")
    l8, _ = tr.Reference(ck_dirs["bf16"], trit_cache="int8").forward(TOKENS)
    check(np.array_equal(l8, logits), "int8 trit cache == f32 trit cache")

    gen = ref.greedy(TOKENS, 6)
    seq, manual = list(TOKENS), []
    for _ in range(6):
        nxt = int(np.argmax(ref.forward(seq)[0][-1]))
        manual.append(nxt)
        seq.append(nxt)
    check(gen == manual, "greedy == argmax of full re-prefill each step: %s" % gen)

    lg = logits.astype(np.float64)
    lse = np.log(np.exp(lg - lg.max(1, keepdims=True)).sum(1)) + lg.max(1)
    want = np.exp(np.mean(lse[:-1] - lg[np.arange(len(TOKENS) - 1), TOKENS[1:]]))
    ppl = ref.perplexity(TOKENS)
    check(abs(ppl / want - 1) < 1e-12 and abs(ref.perplexity(TOKENS, chunk=5) / want - 1) < 1e-9,
          "perplexity (%.4g) and chunked perplexity" % ppl)

    # CLI
    script = os.path.join(HERE, "tern_reference.py")
    tok = ",".join(map(str, TOKENS))
    out = run([script, ck_dirs["bf16"], "--tokens", tok, "--generate", "6",
               "--logits-out", os.path.join(tmp, "ref.npy")])
    check(out.strip() == ",".join(map(str, gen)), "CLI --generate")
    check(np.array_equal(np.load(os.path.join(tmp, "ref.npy")), logits), "CLI --logits-out")
    run([script, ck_dirs["bf16"], "--tokens", tok, "--decode-steps", "--logits-out",
         os.path.join(tmp, "dec.npy")])
    check(rel_l2(np.load(os.path.join(tmp, "dec.npy")), logits) < 1e-5, "CLI --decode-steps")
    with open(os.path.join(tmp, "ids.txt"), "w") as f:
        f.write(" ".join(map(str, TOKENS[:6])) + "\n" + ",".join(map(str, TOKENS[6:])) + "\n")
    out = run([script, ck_dirs["bf16"], "--ppl", os.path.join(tmp, "ids.txt")])
    check(out.startswith("perplexity: ") and abs(float(out.split()[1]) / ppl - 1) < 1e-6 and
          "(%d tokens)" % (len(TOKENS) - 1) in out, "CLI --ppl: " + out.strip())
    return logits


def test_rounding_probe():
    print("rounding probe")
    # v = y * 127 / max|y|: 127, then 2.5 (or a float next to it: within noise of a .5 boundary),
    # then 40.2 (nowhere near one).
    y = np.array([[1.0, 2.5 / 127, 40.2 / 127]], F32)
    q, _ = tr.quantize_activations(y)
    with tr.probing() as probe:
        q2, _ = tr.quantize_activations(y)
        tr.quantize_activations(y)
    check(np.array_equal(q, q2) and probe.calls == 2, "recording changes nothing, counts calls")
    check(probe.fragile == [(0, 1), (1, 1)], "the activation at 2.5 is recorded, per call: %s"
          % probe.fragile)
    with tr.probing(flip=(1, 1)):
        first, _ = tr.quantize_activations(y)
        second, _ = tr.quantize_activations(y)
    check(np.array_equal(first, q), "a flip leaves other calls alone")
    diff = second - q
    check(abs(diff[0, 1]) == 1 and np.count_nonzero(diff) == 1,
          "a flip rounds that one activation the other way: %s -> %s" % (q.tolist(), second.tolist()))
    check(tr._probe is None, "the probe is gone after its block")


def test_compare(tmp, logits):
    print("compare_logits")
    script = os.path.join(HERE, "compare_logits.py")
    ref = os.path.join(tmp, "ref.npy")
    np.save(ref, logits)

    def cmp(arr, rc, what, *extra):
        p = os.path.join(tmp, "ours.npy")
        np.save(p, arr)
        out = run([script, p, ref] + list(extra), expect_rc=rc)
        check(("OK rel_l2=" in out) == (rc == 0) and ("FAIL" in out) == (rc == 1), what)

    cmp(logits, 0, "identical logits pass")
    cmp(logits + np.float32(1e-4) * logits, 0, "tiny relative error passes")
    rng = np.random.default_rng(5)
    cmp(logits + rng.standard_normal(logits.shape).astype(F32) * logits.std(), 1, "perturbed logits fail")
    cmp(logits[:-1], 1, "shape mismatch fails")
    # Swap the top-1 and top-2 entries of one decisive row: small rel L2, but argmax flips.
    flipped = logits.copy()
    row = int(np.argmax(np.diff(np.sort(logits, 1)[:, -2:], axis=1)))
    a, b = np.argsort(logits[row])[-2:]
    flipped[row, [a, b]] = flipped[row, [b, a]]
    check(rel_l2(flipped, logits) < 1, "flipped row stays within a loose rel L2")
    cmp(flipped, 1, "argmax flip at a decisive position fails", "--rtol-l2", "1")
    nan = logits.copy()
    nan[0, 0] = np.nan
    cmp(nan, 1, "NaN fails")


def main():
    t0 = time.time()
    test_bf16_conversion()
    test_bitlinear_by_hand()
    test_rounding_probe()
    with tempfile.TemporaryDirectory(prefix="tern_ref_test_") as tmp:
        make = os.path.join(HERE, "make_random_checkpoint.py")
        ck_dirs = {}
        for kind, extra in (("bf16", []), ("f32", ["--dtype", "f32"]), ("sharded", ["--shards", "3"])):
            ck_dirs[kind] = os.path.join(tmp, kind)
            run([make, ck_dirs[kind], "--hidden-size", str(H), "--layers", str(L), "--vocab", str(V),
                 "--seed", "7"] + extra)
        test_checkpoint_layout(ck_dirs)
        test_safetensors_roundtrip(tmp, ck_dirs)
        logits = test_model(tmp, ck_dirs)
        test_compare(tmp, logits)
    print("PASS: %d checks in %.1fs" % (_checks, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
