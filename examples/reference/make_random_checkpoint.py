#!/usr/bin/python3
"""Write a seeded random HGRNBit ("MMfreeLM") checkpoint in Hugging Face layout.

    make_random_checkpoint.py OUT_DIR --hidden-size H --layers L --vocab V
        [--intermediate-size I] [--seed S] [--shards N] [--dtype bf16|f16|f32]
        [--preset 370m|1.3b|2.7b] [--count-only]

Tensor names and shapes follow docs/model-spec.md. The weights are deliberately
large (not the 0.02-std training init) so that the logits are decisive and a wrong backend
cannot hide in flat logits:
    norm weights   1 + 0.1 * N(0,1)
    projections    N(0,1)
    embeddings     N(0,1)
    lower_bounds   N(0,1)
Every tensor draws from its own generator, np.random.default_rng([seed, crc32(name)]), so the
values do not depend on tensor order, shard count or output dtype (bf16/f16 are the fp32 draws
rounded to nearest-even).

Released-size checkpoints (2.7B = 5.4 GB in bf16) are generated and written tensor by tensor in
row chunks: each file's header is written first with precomputed offsets, then the data is
streamed, so peak memory is a few tens of MB.
"""

import argparse
import json
import os
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import StreamingWriter, f32_to_bf16_bits  # noqa: E402

PRESETS = {
    # name: (hidden_size, layers, vocab); intermediate_size stays null (derived) as released.
    "370m": (1024, 24, 32000),
    "1.3b": (2048, 24, 32000),
    "2.7b": (2560, 32, 32000),
}
EXPECTED_PARAMS = {"370m": 374_108_160, "1.3b": 1_364_779_008, "2.7b": 2_702_357_504}

DTYPES = {  # CLI name -> (safetensors dtype, config torch_dtype)
    "bf16": ("BF16", "bfloat16"),
    "f16": ("F16", "float16"),
    "f32": ("F32", "float32"),
}

CHUNK_ELEMS = 1 << 22  # 4M values (16 MB fp32) per generated chunk


def derived_intermediate_size(hidden_size, hidden_ratio=4):
    """I = int(H * hidden_ratio * 2 / 3) rounded up to a multiple of 256 (model-spec.md)."""
    i = int(hidden_size * hidden_ratio * 2 / 3)
    return 256 * ((i + 255) // 256)


def tensor_specs(H, L, V, I, use_lower_bound=True):
    """[(name, shape, kind)] in the order of model-spec.md; kind in emb|lb|norm|proj."""
    specs = [("model.embeddings.weight", (V, H), "emb")]
    if use_lower_bound:
        specs.append(("model.lower_bounds", (L, H), "lb"))
    for i in range(L):
        p = "model.layers.%d." % i
        specs.append((p + "attn_norm.weight", (H,), "norm"))
        for proj in ("i_proj", "f_proj", "g_proj"):
            specs.append((p + "attn.%s.weight" % proj, (H, H), "proj"))
            specs.append((p + "attn.%s.norm.weight" % proj, (H,), "norm"))
        specs.append((p + "attn.g_norm.weight", (H,), "norm"))
        specs.append((p + "attn.o_proj.weight", (H, H), "proj"))
        specs.append((p + "attn.o_proj.norm.weight", (H,), "norm"))
        specs.append((p + "mlp_norm.weight", (H,), "norm"))
        specs.append((p + "mlp.gate_proj.weight", (2 * I, H), "proj"))
        specs.append((p + "mlp.gate_proj.norm.weight", (H,), "norm"))
        specs.append((p + "mlp.down_proj.weight", (H, I), "proj"))
        specs.append((p + "mlp.down_proj.norm.weight", (I,), "norm"))
    specs.append(("model.norm.weight", (H,), "norm"))
    specs.append(("lm_head.weight", (V, H), "proj"))
    specs.append(("lm_head.norm.weight", (H,), "norm"))
    return specs


def param_count(specs):
    return sum(int(np.prod(shape, dtype=np.int64)) for _, shape, _ in specs)


def make_config(H, L, V, intermediate_size, torch_dtype):
    """config.json as the released MMfreeLM checkpoints ship it (same keys and defaults)."""
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
        "hidden_size": H,
        "initializer_range": 0.02,
        "intermediate_size": intermediate_size,
        "max_position_embeddings": 2048,
        "model_type": "hgrn_bit",
        "num_heads": 1,
        "num_hidden_layers": L,
        "rms_norm_eps": 1e-06,
        "share_conv_kernel": True,
        "tie_word_embeddings": False,
        "torch_dtype": torch_dtype,
        "use_cache": True,
        "use_lower_bound": True,
        "use_short_conv": False,
        "vocab_size": V,
    }


def generate_chunks(name, shape, kind, seed):
    """Yield the tensor's fp32 values as consecutive row chunks (2-D tensors) or whole (1-D)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
    rows = shape[0]
    cols = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
    step = max(1, CHUNK_ELEMS // cols) if len(shape) > 1 else rows
    for r0 in range(0, rows, step):
        n = min(step, rows - r0)
        x = rng.standard_normal((n,) + tuple(shape[1:]), dtype=np.float32)
        if kind == "norm":
            x *= np.float32(0.1)
            x += np.float32(1.0)
        yield x


def encode(x, st_dtype):
    if st_dtype == "BF16":
        return ("BF16", f32_to_bf16_bits(x))
    if st_dtype == "F16":
        return x.astype(np.float16)
    return x


def split_shards(sizes, n):
    """Contiguous split of tensors (byte sizes, in order) into n non-empty shards of roughly
    equal bytes. Returns the start index of each shard."""
    if n > len(sizes):
        raise ValueError("cannot split %d tensors into %d shards" % (len(sizes), n))
    before = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])  # bytes before tensor j
    total = int(before[-1])
    starts = [0]
    for k in range(1, n):
        j = int(np.searchsorted(before, k * total / n, side="left"))
        j = max(j, starts[-1] + 1)            # non-empty previous shard
        j = min(j, len(sizes) - (n - k))      # leave a tensor for each remaining shard
        starts.append(j)
    return starts


def write_checkpoint(out_dir, H, L, V, intermediate_size=None, seed=0, shards=1, dtype="bf16",
                     quiet=False):
    """Write config.json and weights into out_dir. Returns the parameter count."""
    st_dtype, torch_dtype = DTYPES[dtype]
    I = intermediate_size if intermediate_size is not None else derived_intermediate_size(H)
    specs = tensor_specs(H, L, V, I)
    n_params = param_count(specs)
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))

    os.makedirs(out_dir, exist_ok=True)
    # Stale weight files from an earlier run would confuse readers (a leftover
    # model.safetensors wins over a new index), so remove them first.
    for fn in os.listdir(out_dir):
        if fn.startswith("model") and (fn.endswith(".safetensors") or fn.endswith(".index.json")):
            os.remove(os.path.join(out_dir, fn))

    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(make_config(H, L, V, intermediate_size, torch_dtype), f, indent=2)
        f.write("\n")

    esize = {"BF16": 2, "F16": 2, "F32": 4}[st_dtype]
    sizes = [int(np.prod(s, dtype=np.int64)) * esize for _, s, _ in specs]
    total_bytes = sum(sizes)
    starts = split_shards(sizes, shards) + [len(specs)]
    if shards == 1:
        files = ["model.safetensors"]
    else:
        files = ["model-%05d-of-%05d.safetensors" % (k + 1, shards) for k in range(shards)]
    metadata = {"format": "pt", "generator": "tern make_random_checkpoint.py", "seed": str(seed)}

    log("writing %s: H=%d L=%d V=%d I=%d dtype=%s seed=%d, %d params, %.2f GB in %d file(s)"
        % (out_dir, H, L, V, I, dtype, seed, n_params, total_bytes / 1e9, shards))
    t0 = time.time()
    done = 0
    last_report = t0
    weight_map = {}
    for k, fname in enumerate(files):
        part = specs[starts[k]:starts[k + 1]]
        path = os.path.join(out_dir, fname)
        with StreamingWriter(path, [(n, st_dtype, s) for n, s, _ in part], metadata) as w:
            for name, shape, kind in part:
                for chunk in generate_chunks(name, shape, kind, seed):
                    w.write(name, encode(chunk, st_dtype))
                    done += chunk.size * esize
                weight_map[name] = fname
                now = time.time()
                if now - last_report > 2.0:
                    last_report = now
                    log("  %5.1f%%  %.2f / %.2f GB  %.0fs" % (100.0 * done / total_bytes, done / 1e9,
                                                          total_bytes / 1e9, now - t0))
        log("  wrote %s (%d tensors)" % (fname, len(part)))
    if shards > 1:
        index = {"metadata": {"total_size": total_bytes}, "weight_map": weight_map}
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=2)
            f.write("\n")
    log("done in %.1fs" % (time.time() - t0))
    return n_params


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", nargs="?", help="output directory (not needed with --count-only)")
    ap.add_argument("--preset", choices=sorted(PRESETS), help="released sizes; explicit flags override")
    ap.add_argument("--hidden-size", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--intermediate-size", type=int, default=None,
                    help="written to config.json; default null = derived from hidden size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    ap.add_argument("--count-only", action="store_true", help="print the parameter count and exit")
    args = ap.parse_args(argv)

    H, L, V = PRESETS[args.preset] if args.preset else (None, None, None)
    H = args.hidden_size if args.hidden_size is not None else H
    L = args.layers if args.layers is not None else L
    V = args.vocab if args.vocab is not None else V
    if None in (H, L, V):
        ap.error("give --preset or all of --hidden-size, --layers, --vocab")
    if min(H, L, V) < 1 or args.shards < 1 or (args.intermediate_size is not None
                                               and args.intermediate_size < 1):
        ap.error("sizes and --shards must be positive")

    I = args.intermediate_size if args.intermediate_size is not None else derived_intermediate_size(H)
    n = param_count(tensor_specs(H, L, V, I))
    if args.count_only:
        print(n)
        return 0
    if not args.out_dir:
        ap.error("OUT_DIR is required unless --count-only")
    write_checkpoint(args.out_dir, H, L, V, args.intermediate_size, args.seed, args.shards, args.dtype)
    print("params: %d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
