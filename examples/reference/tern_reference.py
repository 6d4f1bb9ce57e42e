#!/usr/bin/python3
"""Float32 NumPy reference of the HGRNBit / MMfreeLM forward pass (docs/model-spec.md).

    tern_reference.py MODEL_DIR --tokens 5,17,42 [--logits-out ref.npy] [--generate N]
                      [--ppl TOKEN_FILE] [--decode-steps]

Numerics (the contract every tern backend is checked against):
  * everything is float32 except the BitLinear accumulation, which is an exact integer sum;
  * BitLinear: y = x * (1/sqrt(mean(x^2)+1e-6)) * g; s_x = 127/max(max|y|, 1e-5) per row;
    q = clip(round_half_away_from_zero(y*s_x), -128, 127);
    weights ternarised once at load: mean|W| in float64, s_w = float32(1/max(mean, 1e-5)),
    t = clip(rint(float32(W*s_w)), -1, 1) (rint = half to even);
    out = float32(q @ t.T) / (s_x * s_w), the product s_x*s_w rounded to float32 first;
  * sigmoid(z) = 1/(1+exp(-z)), silu(z) = z*sigmoid(z), all float32.

The integer product q @ t.T is computed with a float32 BLAS matmul: every product and every
partial sum is an integer of magnitude <= 128*K < 2^24, so float32 represents all of them
exactly and the result is the exact integer sum whatever order or FMA use the BLAS picks
(checked against an int64 matmul in test_reference.py). For K >= 2^17 it falls back to int64.
"""

import argparse
import contextlib
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import open_checkpoint  # noqa: E402
from make_random_checkpoint import derived_intermediate_size, tensor_specs  # noqa: E402

F32 = np.float32
BITLINEAR_EPS = F32(1e-6)       # BitLinear's own RMSNorm eps (fixed, independent of config)
EXACT_F32_MAX_K = (1 << 24) // 128  # K below this keeps every partial sum exact in float32

# Ternary weight cache: float32 trits (fast BLAS, 4 bytes/weight) unless that exceeds this
# budget, then int8 trits converted per matmul (1 byte/weight; slower). 2.7B -> int8.
F32_CACHE_BUDGET_BYTES = 8 << 30


# ----------------------------------------------------------------------------- primitives

def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) -> inf for z < -88 gives the right limit 0
        return F32(1) / (F32(1) + np.exp(-z))


def silu(z):
    return z * sigmoid(z)


def rms_norm(x, w, eps):
    """y = x * (1/sqrt(mean(x^2) + eps)) * w over the last axis, float32 throughout."""
    ms = np.mean(x * x, axis=-1, keepdims=True, dtype=F32)
    return (x * (F32(1) / np.sqrt(ms + F32(eps)))) * w


def round_half_away_from_zero(v):
    """Round float32 values to nearest, ties away from zero. Exact: v - trunc(v) is computed
    without rounding, unlike the floor(|v| + 0.5) idiom that turns 0.49999997 into 1."""
    t = np.trunc(v)
    return np.where(np.abs(v - t) >= F32(0.5), t + np.sign(v), t)


class RoundingProbe:
    """What quantize_activations does, for telling an int8 rounding flip (model-spec.md: an
    activation within float noise of a .5 boundary rounding the other way) from a bug. Calls are
    counted from 0 in the order a forward makes them. With flip=None every activation v = y * s_x
    within WINDOW (relative) of a .5 boundary is recorded in `fragile` as (call, flat index); with
    flip=(call, index) that one activation is rounded the other way."""

    WINDOW = 2e-6  # a few float32 ulps of v: what another summation order can move it by

    def __init__(self, flip=None):
        self.flip = flip
        self.calls = 0
        self.fragile = []

    def observe(self, v, r):
        call = self.calls
        self.calls += 1
        if self.flip is None:
            distance = np.abs(np.abs(v - np.trunc(v)) - F32(0.5))
            near = distance <= F32(self.WINDOW) * np.maximum(np.abs(v), F32(1))
            self.fragile += [(call, int(i)) for i in np.flatnonzero(near)]
            return r
        if self.flip[0] != call:
            return r
        r = np.array(r)
        flat, i = r.reshape(-1), self.flip[1]
        flat[i] -= np.sign(flat[i] - v.reshape(-1)[i])
        return r


_probe = None


@contextlib.contextmanager
def probing(flip=None):
    """Runs quantize_activations under a RoundingProbe(flip), which it yields."""
    global _probe
    previous, _probe = _probe, RoundingProbe(flip)
    try:
        yield _probe
    finally:
        _probe = previous


def quantize_activations(y):
    """Per-row int8 quantisation of already-normalised activations y [T, K] (float32).
    Returns (q as float32 integers in [-128, 127], s_x [T, 1] float32)."""
    amax = np.max(np.abs(y), axis=-1, keepdims=True)
    s_x = F32(127) / np.maximum(amax, F32(1e-5))
    v = y * s_x
    r = round_half_away_from_zero(v)
    if _probe is not None:
        r = _probe.observe(v, r)
    q = np.clip(r, F32(-128), F32(127))
    return q.astype(F32), s_x.astype(F32)


def ternarize(W):
    """Latent weight W [N, K] (float32) -> (trits int8 [N, K], s_w float32).
    mean|W| accumulates in float64; W*s_w is a float32 product; rint rounds half to even."""
    W = np.asarray(W, dtype=F32)
    mean = float(np.mean(np.abs(W), dtype=np.float64))
    s_w = F32(1.0 / max(mean, 1e-5))
    t = np.clip(np.rint(W * s_w), F32(-1), F32(1)).astype(np.int8)
    return t, s_w


def int_matmul(q, trits):
    """Exact sum_k q[t, k] * trits[n, k] -> float32 [T, N] (values are exact integers)."""
    K = q.shape[-1]
    if K < EXACT_F32_MAX_K:
        tf = trits if trits.dtype == F32 else trits.astype(F32)
        return q @ tf.T
    acc = q.astype(np.int64) @ trits.astype(np.int64).T
    return acc.astype(F32)


class BitLinear:
    """One ternary projection with its own RMSNorm weight `g`. Trits and s_w are computed once."""

    def __init__(self, W, g, trit_dtype=F32):
        self.N, self.K = W.shape
        t, self.s_w = ternarize(W)
        self.trits = t.astype(trit_dtype) if trit_dtype != np.int8 else t
        self.g = np.asarray(g, dtype=F32)

    def __call__(self, x):
        y = rms_norm(x, self.g, BITLINEAR_EPS)
        q, s_x = quantize_activations(y)
        acc = int_matmul(q, self.trits)
        return acc / (s_x * self.s_w)  # s_x*s_w: float32 [T,1] product, then float32 divide


# ----------------------------------------------------------------------------- model

class Reference:
    """Reference forward of an HGRNBit checkpoint directory.

    forward(ids, state=None) -> (logits [T, V] float32, state [L, H] float32); pass the returned
    state back in to continue decoding. greedy(ids, n) and perplexity(ids) build on it."""

    def __init__(self, model_dir, trit_cache=None, verbose=False):
        t0 = time.time()
        ck = open_checkpoint(model_dir)
        cfg = ck.config
        if cfg is None:
            raise FileNotFoundError("%s: no config.json" % model_dir)
        if cfg.get("model_type") != "hgrn_bit":
            raise ValueError("model_type %r is not hgrn_bit" % cfg.get("model_type"))
        # Only the released configuration is specified by model-spec.md.
        for key, want in (("num_heads", 1), ("expand_ratio", 1), ("use_short_conv", False)):
            if cfg.get(key, want) != want:
                raise NotImplementedError("%s=%r is not supported (only %r)" % (key, cfg[key], want))
        if cfg.get("tie_word_embeddings", False):
            raise NotImplementedError("tie_word_embeddings=true is not supported")
        self.H = H = int(cfg["hidden_size"])
        self.L = L = int(cfg["num_hidden_layers"])
        self.V = V = int(cfg["vocab_size"])
        hidden_ratio = int(cfg.get("hidden_ratio") or 4)
        I = cfg.get("intermediate_size")
        self.I = I = int(I) if I is not None else derived_intermediate_size(H, hidden_ratio)
        self.eps = F32(cfg.get("rms_norm_eps", 1e-6))
        self.use_lower_bound = bool(cfg.get("use_lower_bound", True))

        # Check every tensor the spec names is present with its shape.
        for name, shape, _ in tensor_specs(H, L, V, I, self.use_lower_bound):
            if name not in ck:
                raise KeyError("%s: missing tensor %s" % (model_dir, name))
            got = ck.info(name)[1]
            if tuple(got) != tuple(shape):
                raise ValueError("%s: shape %s, expected %s" % (name, got, shape))

        if trit_cache is None:
            n_trits = sum(int(np.prod(s)) for _, s, k in tensor_specs(H, L, V, I) if k == "proj")
            trit_cache = "f32" if 4 * n_trits <= F32_CACHE_BUDGET_BYTES else "int8"
        trit_dtype = {"f32": F32, "int8": np.int8}[trit_cache]

        def bl(prefix):
            return BitLinear(ck.get(prefix + ".weight"), ck.get(prefix + ".norm.weight"), trit_dtype)

        self._ck = ck
        self._emb = ck.raw("model.embeddings.weight")  # rows converted on lookup
        self._emb_dtype = ck.info("model.embeddings.weight")[0]
        if self.use_lower_bound:
            self.lower_bounds = self.compute_lower_bounds(ck.get("model.lower_bounds"))
        self.layers = []
        for i in range(L):
            p = "model.layers.%d." % i
            self.layers.append({
                "attn_norm": ck.get(p + "attn_norm.weight"),
                "i_proj": bl(p + "attn.i_proj"),
                "f_proj": bl(p + "attn.f_proj"),
                "g_proj": bl(p + "attn.g_proj"),
                "g_norm": ck.get(p + "attn.g_norm.weight"),
                "o_proj": bl(p + "attn.o_proj"),
                "mlp_norm": ck.get(p + "mlp_norm.weight"),
                "gate_proj": bl(p + "mlp.gate_proj"),  # one tensor, one s_w for both halves
                "down_proj": bl(p + "mlp.down_proj"),
            })
            if verbose:
                print("  loaded layer %d/%d" % (i + 1, L), file=sys.stderr, flush=True)
        self.norm = ck.get("model.norm.weight")
        self.lm_head = bl("lm_head")
        self.load_seconds = time.time() - t0

    @staticmethod
    def compute_lower_bounds(raw):
        """softmax over the layer axis, cumulative sum, minus the first row (so lb[0] = 0)."""
        raw = np.asarray(raw, dtype=F32)
        e = np.exp(raw - np.max(raw, axis=0, keepdims=True))
        lb = e / np.sum(e, axis=0, keepdims=True, dtype=F32)
        return np.cumsum(lb, axis=0, dtype=F32) - lb[0]

    def embed(self, ids):
        rows = np.asarray(self._emb[ids])
        if self._emb_dtype == "BF16":
            return (rows.astype(np.uint32) << np.uint32(16)).view(F32)
        return rows.astype(F32)

    def initial_state(self):
        return np.zeros((self.L, self.H), dtype=F32)

    def forward(self, ids, state=None):
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            raise ValueError("forward needs at least one token")
        if ids.min() < 0 or ids.max() >= self.V:
            raise ValueError("token id out of range [0, %d)" % self.V)
        state = self.initial_state() if state is None else np.array(state, dtype=F32)
        if state.shape != (self.L, self.H):
            raise ValueError("state must be [%d, %d]" % (self.L, self.H))
        T = ids.size
        h = self.embed(ids)                                   # [T, H]
        for i, ly in enumerate(self.layers):
            r = h
            x = rms_norm(h, ly["attn_norm"], self.eps)
            # --- token mixer: MLGRU ---
            a = ly["i_proj"](x)
            f = sigmoid(ly["f_proj"](x))
            if self.use_lower_bound and i > 0:
                lb = self.lower_bounds[i]
                f = lb + (F32(1) - lb) * f
            a = silu(a) * (F32(1) - f)
            hs = np.empty_like(a)
            s = state[i]
            for t in range(T):                                # sequential over tokens
                s = f[t] * s + a[t]
                hs[t] = s
            state[i] = s
            g = ly["g_proj"](x)
            o = rms_norm(g, ly["g_norm"], self.eps) * hs * sigmoid(hs)
            r = r + ly["o_proj"](o)
            # --- channel mixer: GLU ---
            x = rms_norm(r, ly["mlp_norm"], self.eps)
            gu = ly["gate_proj"](x)                           # [T, 2I]
            gate, up = gu[:, :self.I], gu[:, self.I:]
            h = r + ly["down_proj"](silu(gate) * up)
        h = rms_norm(h, self.norm, self.eps)
        logits = self.lm_head(h)
        return logits.astype(F32, copy=False), state

    def forward_decode_steps(self, ids, state=None):
        """Same logits as forward(), computed one token at a time (prefill == decode check)."""
        out = []
        for tok in np.asarray(ids, dtype=np.int64).reshape(-1):
            lg, state = self.forward([tok], state)
            out.append(lg[0])
        return np.stack(out), state

    def greedy(self, ids, n, prefill=None):
        """Prefill `ids`, then n-1 single-token decode steps; returns the n new ids.
        np.argmax resolves ties to the lowest index. `prefill` may pass an already computed
        forward(ids) result (logits, state) to skip recomputing it."""
        if n <= 0:
            return []
        logits, state = prefill if prefill is not None else self.forward(ids)
        out = [int(np.argmax(logits[-1]))]
        while len(out) < n:
            logits, state = self.forward([out[-1]], state)
            out.append(int(np.argmax(logits[-1])))
        return out

    def perplexity(self, ids, chunk=256):
        """exp(mean_t -log softmax(logits[t])[ids[t+1]]), float64 from the float32 logits.
        Prefill runs in chunks of `chunk` tokens carrying the state (identical logits: every
        operation is per-token except the recurrence, which the state continues)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size < 2:
            raise ValueError("perplexity needs at least two tokens")
        nll = 0.0
        state = None
        for c0 in range(0, ids.size - 1, chunk):
            c1 = min(c0 + chunk, ids.size - 1)               # positions c0..c1-1 predict c0+1..c1
            logits, state = self.forward(ids[c0:c1], state)
            lg = logits.astype(np.float64)
            m = lg.max(axis=1, keepdims=True)
            logz = m[:, 0] + np.log(np.exp(lg - m).sum(axis=1))
            nll += float(np.sum(logz - lg[np.arange(c1 - c0), ids[c0 + 1:c1 + 1]]))
        return float(np.exp(nll / (ids.size - 1)))


# ----------------------------------------------------------------------------- CLI

def parse_ids(text):
    """Token ids separated by commas and/or whitespace."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    try:
        return [int(p) for p in parts]
    except ValueError as e:
        raise SystemExit("bad token id list: %s" % e)


def main(argv=None):
    ap = argparse.ArgumentParser(description="NumPy float32 reference forward of an HGRNBit checkpoint")
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", help="comma-separated prompt token ids, e.g. 5,17,42")
    ap.add_argument("--logits-out", help="write float32 [T, V] logits of --tokens (np.save)")
    ap.add_argument("--generate", type=int, metavar="N", help="print N greedy ids after --tokens")
    ap.add_argument("--ppl", metavar="TOKEN_FILE", help="perplexity of the ids in this file")
    ap.add_argument("--decode-steps", action="store_true",
                    help="compute --tokens logits one token at a time instead of one prefill")
    ap.add_argument("--trit-cache", choices=("f32", "int8"), default=None,
                    help="ternary weight storage (default: f32 unless > 8 GiB)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.tokens is None and args.ppl is None:
        ap.error("give --tokens and/or --ppl")
    if (args.logits_out or args.generate) and args.tokens is None:
        ap.error("--logits-out and --generate need --tokens")

    def log(*a):
        print(*a, file=sys.stderr, flush=True)

    ref = Reference(args.model_dir, trit_cache=args.trit_cache, verbose=args.verbose)
    log("loaded %s (H=%d L=%d V=%d I=%d) in %.1fs" % (args.model_dir, ref.H, ref.L, ref.V, ref.I,
                                                       ref.load_seconds))
    if args.tokens is not None:
        ids = parse_ids(args.tokens)
        t0 = time.time()
        if args.decode_steps:
            logits, state = ref.forward_decode_steps(ids)
        else:
            logits, state = ref.forward(ids)
        log("logits %s in %.2fs (%s)" % (list(logits.shape), time.time() - t0,
                                          "decode steps" if args.decode_steps else "prefill"))
        if args.logits_out:
            np.save(args.logits_out, logits.astype(F32))
            log("wrote %s" % args.logits_out)
        if args.generate:
            print(",".join(str(t) for t in ref.greedy(ids, args.generate, (logits, state))), flush=True)
        elif not args.logits_out and args.ppl is None:
            print("argmax: " + ",".join(str(int(t)) for t in np.argmax(logits, axis=1)))
    if args.ppl is not None:
        with open(args.ppl) as f:
            ids = parse_ids(f.read())
        p = ref.perplexity(ids)
        print("perplexity: %.6f (%d tokens)" % (p, len(ids) - 1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
