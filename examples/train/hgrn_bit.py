"""The project's PyTorch HGRNBit ("MMfreeLM") model, mirroring docs/model-spec.md.

Parameter names are the checkpoint's tensor names (model.layers.0.attn.i_proj.weight,
...norm.weight, model.lower_bounds, lm_head.weight, ...), so `state_dict()` is a checkpoint.

Two numerics, chosen per call with `exact`:
  * training (exact=False): BitLinear quantises with straight-through estimators — the
    forward pass sees int8 activations (per-token absmax) and ternary weights (per-tensor
    absmean), the backward pass treats both roundings as the identity; the MLGRU recurrence
    runs as a chunked parallel scan.
  * inference (exact=True): the spec's numerics, as examples/reference/tern_reference.py
    computes them — float32 everywhere, int8 activations rounded half away from zero, weights
    ternarised with mean|W| in float64 and rint (half to even), out = (q @ t.T) / (s_x * s_w)
    with s_x * s_w rounded to float32 first, the recurrence run token by token.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BITLINEAR_EPS = 1e-6  # BitLinear's own RMSNorm eps (fixed by the spec)


def derived_intermediate_size(hidden_size, hidden_ratio=4):
    """I = int(H * hidden_ratio * 2 / 3) rounded up to a multiple of 256 (model-spec.md)."""
    i = int(hidden_size * hidden_ratio * 2 / 3)
    return 256 * ((i + 255) // 256)


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def round_half_away_from_zero(v):
    """Exact: v - trunc(v) is computed without rounding (unlike floor(|v| + 0.5))."""
    t = torch.trunc(v)
    return torch.where((v - t).abs() >= 0.5, t + torch.sign(v), t)


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


class BitLinear(nn.Module):
    """y = RMSNorm(x) * g; int8 per-token activations; ternary per-tensor weights; no bias."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.norm = RMSNorm(in_features, BITLINEAR_EPS)
        nn.init.normal_(self.weight, std=0.02)
        self._exact_cache = None  # (trits as float32, s_w) for exact mode, built on first use

    def forward(self, x, exact=False):
        y = self.norm(x)
        if exact:
            return self._forward_exact(y)
        s_x = 127.0 / y.abs().amax(-1, keepdim=True).clamp(min=1e-5)
        y_q = (torch.round(y * s_x).clamp(-128, 127) / s_x)
        y = y + (y_q - y).detach()  # straight-through estimator
        w = self.weight
        s_w = 1.0 / w.abs().mean().clamp(min=1e-5)
        w_q = torch.round(w * s_w).clamp(-1, 1) / s_w
        w = w + (w_q - w).detach()
        return F.linear(y, w)

    def drop_exact_cache(self):
        self._exact_cache = None

    def _forward_exact(self, y):
        if self._exact_cache is None:
            w = self.weight.detach().float()
            mean = w.double().abs().mean().item()
            s_w = torch.tensor(1.0 / max(mean, 1e-5), dtype=torch.float32, device=w.device)
            trits = torch.round(w * s_w).clamp(-1, 1)  # torch.round is half to even
            self._exact_cache = (trits, s_w)
        trits, s_w = self._exact_cache
        s_x = 127.0 / y.abs().amax(-1, keepdim=True).clamp(min=1e-5)
        q = round_half_away_from_zero(y * s_x).clamp(-128, 127)
        acc = q @ trits.t()  # integer-valued products and sums below 2^24: exact in float32
        return acc / (s_x * s_w)


def linear_scan(f, a, h0, chunk=32):
    """h_t = f_t * h_{t-1} + a_t over dim 1 of [B, T, H] tensors, h_{-1} = h0 [B, H].

    Chunked: inside a chunk, h = W @ a + exp(cum f) * h_start with the lower-triangular
    W[t, s] = prod_{s<r<=t} f_r = exp(c_t - c_s), c the cumulative sum of log f (every
    exponent <= 0, so nothing overflows); chunks run one after another."""
    B, T, H = a.shape
    pad = (-T) % chunk
    if pad:
        f = F.pad(f, (0, 0, 0, pad), value=1.0)
        a = F.pad(a, (0, 0, 0, pad))
    n = (T + pad) // chunk
    logf = torch.log(f.clamp(min=1e-30)).view(B, n, chunk, H)
    c = logf.cumsum(2)
    seg = c.unsqueeze(3) - c.unsqueeze(2)  # [B, n, t, s, H]
    causal = torch.ones(chunk, chunk, dtype=torch.bool, device=a.device).tril()
    seg = seg.masked_fill(~causal[None, None, :, :, None], float("-inf"))
    inner = torch.einsum("bntsh,bnsh->bnth", torch.exp(seg), a.view(B, n, chunk, H))
    decay = torch.exp(c)
    outs, h = [], h0
    for k in range(n):
        hk = inner[:, k] + decay[:, k] * h.unsqueeze(1)
        outs.append(hk)
        h = hk[:, -1]
    return torch.cat(outs, 1)[:, :T], h


def sequential_scan(f, a, h0):
    """The spec's recurrence token by token (exact mode): [T, H] tensors, h0 [H]."""
    out = torch.empty_like(a)
    h = h0
    for t in range(a.shape[0]):
        h = f[t] * h + a[t]
        out[t] = h
    return out, h


class HGRNBitAttention(nn.Module):
    """The MLGRU token mixer."""

    def __init__(self, H, eps):
        super().__init__()
        self.i_proj = BitLinear(H, H)
        self.f_proj = BitLinear(H, H)
        self.g_proj = BitLinear(H, H)
        self.g_norm = RMSNorm(H, eps)
        self.o_proj = BitLinear(H, H)

    def forward(self, x, lower_bound, state, exact):
        a = self.i_proj(x, exact)
        f = torch.sigmoid(self.f_proj(x, exact))
        if lower_bound is not None:
            f = lower_bound + (1 - lower_bound) * f
        a = F.silu(a) * (1 - f)
        if exact:
            h, state = sequential_scan(f, a, state)
        else:
            h, state = linear_scan(f, a, state)
        g = self.g_proj(x, exact)
        o = self.g_norm(g) * h * torch.sigmoid(h)
        return self.o_proj(o, exact), state


class HGRNBitMLP(nn.Module):
    """The GLU channel mixer: one gate_proj [2I, H] (one weight scale), down_proj [H, I]."""

    def __init__(self, H, I):
        super().__init__()
        self.I = I
        self.gate_proj = BitLinear(H, 2 * I)
        self.down_proj = BitLinear(I, H)

    def forward(self, x, exact):
        gu = self.gate_proj(x, exact)
        gate, up = gu[..., :self.I], gu[..., self.I:]
        return self.down_proj(F.silu(gate) * up, exact)


class HGRNBitBlock(nn.Module):
    def __init__(self, H, I, eps):
        super().__init__()
        self.attn_norm = RMSNorm(H, eps)
        self.attn = HGRNBitAttention(H, eps)
        self.mlp_norm = RMSNorm(H, eps)
        self.mlp = HGRNBitMLP(H, I)


class HGRNBitModel(nn.Module):
    def __init__(self, V, H, L, I, eps):
        super().__init__()
        self.embeddings = nn.Embedding(V, H)
        nn.init.normal_(self.embeddings.weight, std=0.02)
        self.lower_bounds = nn.Parameter(torch.zeros(L, H))
        self.layers = nn.ModuleList(HGRNBitBlock(H, I, eps) for _ in range(L))
        self.norm = RMSNorm(H, eps)


class HGRNBitForCausalLM(nn.Module):
    def __init__(self, vocab_size, hidden_size, num_layers, intermediate_size=None,
                 rms_norm_eps=1e-6, dropout=0.0):
        super().__init__()
        I = intermediate_size or derived_intermediate_size(hidden_size)
        self.config = {"vocab_size": vocab_size, "hidden_size": hidden_size,
                       "num_hidden_layers": num_layers, "intermediate_size": I,
                       "rms_norm_eps": rms_norm_eps}
        self.model = HGRNBitModel(vocab_size, hidden_size, num_layers, I, rms_norm_eps)
        self.lm_head = BitLinear(hidden_size, vocab_size)
        self.dropout = dropout  # training only, on the two residual branches

    def initial_state(self, batch=None):
        L, H = len(self.model.layers), self.config["hidden_size"]
        device = self.model.embeddings.weight.device
        shape = (L, H) if batch is None else (L, batch, H)
        return torch.zeros(shape, device=device)

    def lower_bounds(self):
        lb = torch.softmax(self.model.lower_bounds.float(), dim=0)
        return torch.cumsum(lb, dim=0) - lb[0]

    def forward(self, ids, state=None, exact=False):
        """ids [B, T] (training) or [T] (exact). Returns (logits, new state [L, (B,) H])."""
        if state is None:
            state = self.initial_state(None if exact else ids.shape[0])
        eps = self.config["rms_norm_eps"]
        lb = self.lower_bounds()
        h = self.model.embeddings(ids).float()
        new_state = []
        for i, block in enumerate(self.model.layers):
            x = rms_norm(h, block.attn_norm.weight, eps)
            mixed, s = block.attn(x, lb[i] if i > 0 else None, state[i], exact)
            new_state.append(s)
            r = h + F.dropout(mixed, self.dropout, self.training and not exact)
            x = rms_norm(r, block.mlp_norm.weight, eps)
            h = r + F.dropout(block.mlp(x, exact), self.dropout, self.training and not exact)
        h = rms_norm(h, self.model.norm.weight, eps)
        return self.lm_head(h, exact), torch.stack(new_state)

    def drop_exact_caches(self):
        for m in self.modules():
            if isinstance(m, BitLinear):
                m.drop_exact_cache()

    def hf_config(self, torch_dtype="bfloat16"):
        """config.json in the released MMfreeLM checkpoints' form (model-spec.md)."""
        c = self.config
        return {
            "architectures": ["HGRNBitForCausalLM"],
            "attn_mode": "fused_recurrent",
            "bos_token_id": 1,
            "conv_size": 4,
            "eos_token_id": 2,
            "expand_ratio": 1,
            "fuse_cross_entropy": True,
            "hidden_act": "swish",
            "hidden_ratio": 4,
            "hidden_size": c["hidden_size"],
            "initializer_range": 0.02,
            "intermediate_size": c["intermediate_size"],
            "max_position_embeddings": 2048,
            "model_type": "hgrn_bit",
            "num_heads": 1,
            "num_hidden_layers": c["num_hidden_layers"],
            "rms_norm_eps": c["rms_norm_eps"],
            "share_conv_kernel": True,
            "tie_word_embeddings": False,
            "torch_dtype": torch_dtype,
            "use_cache": True,
            "use_lower_bound": True,
            "use_short_conv": False,
            "vocab_size": c["vocab_size"],
        }


@torch.no_grad()
def exact_perplexity(model, ids, chunk=4096):
    """Perplexity as `tern-run --ppl` computes it: one sequence, state carried, ids[i+1]
    scored from the logits at i, NLL summed in float64. Spec numerics (exact=True)."""
    model.eval()
    state = model.initial_state()
    inputs = ids[:-1]
    nll = 0.0
    for begin in range(0, inputs.numel(), chunk):
        x = inputs[begin:begin + chunk]
        logits, state = model(x, state, exact=True)
        logp = torch.log_softmax(logits.double(), dim=-1)
        target = ids[begin + 1:begin + 1 + x.numel()]
        nll -= logp.gather(1, target[:, None]).sum().item()
    return math.exp(nll / inputs.numel()), inputs.numel()
