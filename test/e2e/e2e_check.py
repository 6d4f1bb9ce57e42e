#!/usr/bin/python3
"""End-to-end check of one seeded random checkpoint through ternc and tern-run.

Makes the checkpoint, compiles it, and holds tern-run's results to the NumPy
reference of docs/model-spec (examples/reference):
  * prefill logits: relative L2 <= --rtol-l2 over all positions, same argmax
    wherever the reference's top-1/top-2 gap exceeds --gap;
  * prefill of T tokens == T single-token decode steps (tern-run --decode-steps);
  * greedy continuation == the reference's;
  * perplexity == the reference's (relative difference <= 1e-3).
Exits non-zero with a message on the first failure.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "reference"))
import tern_reference  # noqa: E402


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {result.returncode}\n{result.stderr}")
    return result.stdout


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def check_logits(what, ours, ref, rtol, gap):
    if ours.shape != ref.shape:
        sys.exit(f"FAIL: {what}: shape {ours.shape} != reference {ref.shape}")
    err = rel_l2(ours, ref)
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > gap
    agree = np.argmax(ours, -1) == np.argmax(ref, -1)
    bad = np.nonzero(decisive & ~agree)[0]
    print(f"{what}: rel_l2={err:.3e} decisive={int(decisive.sum())}/{len(ref)} "
          f"argmax_disagree_decisive={len(bad)}")
    if err > rtol:
        sys.exit(f"FAIL: {what}: relative L2 {err:.3e} > {rtol}")
    if len(bad):
        sys.exit(f"FAIL: {what}: argmax differs at decisive positions {bad.tolist()}")
    return err


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", required=True, help="scratch directory")
    p.add_argument("--bin", required=True, help="directory with ternc and tern-run")
    p.add_argument("--hidden-size", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--intermediate-size", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="bf16")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--tokens", type=int, default=12, help="prompt length")
    p.add_argument("--new-tokens", type=int, default=8)
    p.add_argument("--packing", help="ternc --packing (default: the target's)")
    p.add_argument("--target", default="host", help="ternc --target")
    p.add_argument("--tern-run", help="the tern-run to use (default: BIN/tern-run)")
    p.add_argument("--runner", default="",
                   help="command prefix for tern-run, e.g. 'qemu-aarch64 -L /usr/aarch64-linux-gnu'")
    p.add_argument("--rtol-l2", type=float, default=1e-2)
    p.add_argument("--gap", type=float, default=0.05)
    args = p.parse_args()

    os.makedirs(args.work, exist_ok=True)
    model = os.path.join(args.work, "model")
    make = [sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"),
            model, "--hidden-size", str(args.hidden_size), "--layers", str(args.layers),
            "--vocab", str(args.vocab), "--seed", str(args.seed), "--dtype", args.dtype,
            "--shards", str(args.shards)]
    if args.intermediate_size:
        make += ["--intermediate-size", str(args.intermediate_size)]
    run(make)

    artifact = os.path.join(args.work, "model.tern")
    ternc = [os.path.join(args.bin, "ternc"), model, "-o", artifact, "--target", args.target,
             "--quiet"]
    if args.packing:
        ternc += ["--packing", args.packing]
    run(ternc)

    rng = np.random.default_rng(args.seed + 1000)
    ids = rng.integers(0, args.vocab, size=args.tokens).tolist()
    id_text = ",".join(map(str, ids))
    tern_run = args.runner.split() + [args.tern_run or os.path.join(args.bin, "tern-run")]
    reference = tern_reference.Reference(model)

    # prefill logits against the reference
    ours_path = os.path.join(args.work, "prefill.npy")
    run(tern_run + [artifact, "--tokens", id_text, "--logits-out", ours_path])
    ref_logits, _ = reference.forward(np.array(ids))
    check_logits("prefill vs reference", np.load(ours_path), ref_logits, args.rtol_l2, args.gap)

    # the same tokens one decode step at a time
    steps_path = os.path.join(args.work, "steps.npy")
    run(tern_run + [artifact, "--tokens", id_text, "--decode-steps", "--logits-out", steps_path])
    err = rel_l2(np.load(steps_path), np.load(ours_path))
    print(f"prefill vs decode steps: rel_l2={err:.3e}")
    if err > 1e-5:
        check_logits("decode steps vs reference", np.load(steps_path), ref_logits,
                     args.rtol_l2, args.gap)

    # greedy continuation
    out = run(tern_run + [artifact, "--tokens", id_text, "--max-new-tokens", str(args.new_tokens)])
    ours_ids = [int(t) for t in out.strip().split(",") if t]
    ref_ids = [int(t) for t in reference.greedy(np.array(ids), args.new_tokens)]
    print(f"greedy: ours={ours_ids} ref={ref_ids}")
    if ours_ids != ref_ids:
        sys.exit("FAIL: greedy continuations differ")

    # perplexity
    ppl_ids = rng.integers(0, args.vocab, size=40)
    ppl_file = os.path.join(args.work, "ids.txt")
    np.savetxt(ppl_file, ppl_ids[None, :], fmt="%d")
    out = run(tern_run + [artifact, "--ppl", ppl_file])
    ours_ppl = float(out.split("perplexity:")[1].split()[0])
    ref_ppl = float(reference.perplexity(ppl_ids))
    print(f"perplexity: ours={ours_ppl:.6f} ref={ref_ppl:.6f}")
    if abs(ours_ppl - ref_ppl) > 1e-3 * ref_ppl:
        sys.exit("FAIL: perplexities differ")
    print("OK")


if __name__ == "__main__":
    main()
