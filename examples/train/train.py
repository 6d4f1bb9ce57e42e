#!/usr/bin/env python3
"""Trains the bundled HGRNBit model with straight-through estimators (hgrn_bit.py).

    train.py DATA_DIR OUT_DIR [--hidden-size 256 --layers 6 --steps 4000 --time-budget 330]

DATA_DIR is what make_data.sh writes (train/valid/heldout .ids, tokenizer.model). Batches are
random windows of the training stream (fortunes joined as bos text eos). The learning rate
warms up, then follows a cosine to a tenth of its peak over max(step/steps, time/budget), so
it decays fully whichever limit ends the run. Every --eval-every steps the valid loss picks
the checkpoint to keep.

OUT_DIR receives the checkpoint (config.json, model.safetensors in bf16, tokenizer.model),
loss.csv, loss.png (when matplotlib is present), eval.json (perplexities of the saved bf16
checkpoint in the spec's inference numerics) and samples.txt.
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hgrn_bit import HGRNBitForCausalLM, exact_perplexity  # noqa: E402


def read_ids(path):
    with open(path) as f:
        return torch.tensor([int(t) for t in f.read().split()], dtype=torch.long)


def save_safetensors(path, tensors):
    """A minimal safetensors writer (header JSON, then raw little-endian data), so the
    export needs no package beyond torch. bf16 and f32 only."""
    names = {torch.bfloat16: "BF16", torch.float32: "F32"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        raw = t.view(torch.int16 if t.dtype == torch.bfloat16 else torch.int32).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for raw in blobs:
            f.write(raw)


def windows(stream, seq, batch, generator, device):
    starts = torch.randint(0, stream.numel() - seq - 1, (batch,), generator=generator)
    idx = starts[:, None] + torch.arange(seq + 1)[None, :]
    chunk = stream[idx].to(device, non_blocking=True)
    return chunk[:, :-1], chunk[:, 1:]


@torch.no_grad()
def valid_loss(model, stream, seq, device, max_windows=256):
    """Mean cross-entropy over consecutive windows (training numerics, no dropout)."""
    model.eval()
    n = min((stream.numel() - 1) // seq, max_windows)
    x = stream[:n * seq].view(n, seq).to(device)
    y = stream[1:n * seq + 1].view(n, seq).to(device)
    total = 0.0
    for b in range(0, n, 64):
        logits, _ = model(x[b:b + 64])
        total += F.cross_entropy(logits.flatten(0, 1), y[b:b + 64].flatten(),
                                 reduction="sum").item()
    model.train()
    return total / (n * seq)


def plot(log_rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no loss.png", file=sys.stderr)
        return
    steps = [r["step"] for r in log_rows]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot(steps, [r["train_loss"] for r in log_rows], lw=0.8, label="train (STE, batch mean)")
    vs = [(r["step"], r["valid_loss"]) for r in log_rows if r["valid_loss"] is not None]
    ax.plot([s for s, _ in vs], [v for _, v in vs], "o-", ms=3, label="valid")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title("bundled HGRNBit model on Debian fortunes")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


@torch.no_grad()
def sample(model, prompt_ids, n, temperature, generator):
    """Exact-numerics sampling, for samples.txt (a look at the text, not a test)."""
    state = model.initial_state()
    ids = torch.tensor(prompt_ids, device=state.device)
    logits, state = model(ids, state, exact=True)
    out = []
    for _ in range(n):
        probs = torch.softmax(logits[-1].double() / temperature, -1).cpu()
        token = int(torch.multinomial(probs, 1, generator=generator))
        if token == 2:
            break
        out.append(token)
        logits, state = model(torch.tensor([token], device=state.device), state, exact=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--time-budget", type=float, default=330.0, help="seconds of training")
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--test-tokens", type=int, default=1024,
                   help="length of the held-out prefix that the ctest scores")
    p.add_argument("--eval-limit", type=int, default=0,
                   help="score only this many held-out ids (0: all; for smoke runs)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    os.makedirs(args.out, exist_ok=True)
    train = read_ids(os.path.join(args.data, "train.ids"))
    valid = read_ids(os.path.join(args.data, "valid.ids"))
    heldout = read_ids(os.path.join(args.data, "heldout.ids"))
    vocab = int(max(train.max(), valid.max(), heldout.max())) + 1
    vocab_file = os.path.join(args.data, "tokenizer.vocab")
    if os.path.exists(vocab_file):
        with open(vocab_file, encoding="utf-8") as f:
            vocab = sum(1 for _ in f)
    model = HGRNBitForCausalLM(vocab, args.hidden_size, args.layers, dropout=args.dropout).to(device)
    params = sum(p.numel() for p in model.parameters())
    print(f"device {device}; vocab {vocab}; params {params}; train {train.numel()} tokens, "
          f"valid {valid.numel()}, held-out {heldout.numel()}", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "lower_bounds" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "lower_bounds" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    log_rows, best = [], (math.inf, None, 0)
    start = time.time()
    step = 0
    model.train()
    while step < args.steps:
        elapsed = time.time() - start
        progress = max(step / args.steps, elapsed / args.time_budget)
        if progress >= 1:
            break
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = windows(train, args.seq, args.batch, gen, device)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        row = {"step": step, "train_loss": loss.item(), "valid_loss": None, "lr": lr,
               "seconds": round(time.time() - start, 2)}
        if step % args.eval_every == 0 or step == args.steps:
            row["valid_loss"] = valid_loss(model, valid, args.seq, device)
            if row["valid_loss"] < best[0]:
                best = (row["valid_loss"], {k: v.detach().clone() for k, v in model.state_dict().items()}, step)
            print(f"step {step} lr {lr:.2e} train {row['train_loss']:.4f} valid {row['valid_loss']:.4f} "
                  f"({row['seconds']:.0f} s)", flush=True)
        log_rows.append(row)
    train_seconds = time.time() - start
    if log_rows and log_rows[-1]["valid_loss"] is None:
        log_rows[-1]["valid_loss"] = valid_loss(model, valid, args.seq, device)
        if log_rows[-1]["valid_loss"] < best[0]:
            best = (log_rows[-1]["valid_loss"], {k: v.detach().clone() for k, v in model.state_dict().items()}, step)
    print(f"trained {step} steps in {train_seconds:.1f} s; best valid loss {best[0]:.4f} at step {best[2]}",
          flush=True)

    with open(os.path.join(args.out, "loss.csv"), "w") as f:
        f.write("step,train_loss,valid_loss,lr,seconds\n")
        for r in log_rows:
            v = "" if r["valid_loss"] is None else f"{r['valid_loss']:.6f}"
            f.write(f"{r['step']},{r['train_loss']:.6f},{v},{r['lr']:.6e},{r['seconds']}\n")
    plot(log_rows, os.path.join(args.out, "loss.png"))

    # The shipped checkpoint is bf16; everything below evaluates exactly those weights.
    shipped = {k: v.to(torch.bfloat16) for k, v in best[1].items()}
    save_safetensors(os.path.join(args.out, "model.safetensors"), shipped)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(model.hf_config("bfloat16"), f, indent=2)
        f.write("\n")
    shutil.copy(os.path.join(args.data, "tokenizer.model"), os.path.join(args.out, "tokenizer.model"))
    model.load_state_dict({k: v.float() for k, v in shipped.items()})
    model.drop_exact_caches()
    torch.backends.cuda.matmul.allow_tf32 = False
    eval_ids = heldout[:args.eval_limit] if args.eval_limit else heldout
    t0 = time.time()
    ppl, scored = exact_perplexity(model, eval_ids.to(device))
    test_ppl, test_scored = exact_perplexity(model, heldout[:args.test_tokens].to(device))
    result = {
        "heldout_perplexity": ppl, "heldout_tokens_scored": scored,
        "test_prefix_perplexity": test_ppl, "test_prefix_ids": args.test_tokens,
        "test_prefix_tokens_scored": test_scored,
        "best_valid_loss": best[0], "best_step": best[2], "steps": step,
        "train_seconds": round(train_seconds, 1), "params": params, "vocab_size": vocab,
        "hidden_size": args.hidden_size, "layers": args.layers, "seq": args.seq,
        "batch": args.batch, "lr": args.lr, "dropout": args.dropout, "seed": args.seed,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2), f"(exact eval {time.time() - t0:.1f} s)", flush=True)
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "heldout-prefix.ids"), "w") as f:
        f.write(" ".join(str(int(t)) for t in heldout[:args.test_tokens]) + "\n")

    try:
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "tokenizer.model"))
        g = torch.Generator().manual_seed(args.seed)
        with open(os.path.join(args.out, "samples.txt"), "w") as f:
            for prompt in ["", "The", "A programmer", "Life is"]:
                ids = [1] + sp.encode(prompt)
                f.write(f"[{prompt}] {sp.decode(ids[1:] + sample(model, ids, 80, 0.8, g))}\n")
    except ImportError:
        print("sentencepiece (Python) missing: no samples.txt", file=sys.stderr)


if __name__ == "__main__":
    main()
