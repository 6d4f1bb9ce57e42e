#!/usr/bin/python3
"""Batch decode of one seeded random checkpoint through ternc and tern-run.

Makes the checkpoint, compiles it, then runs B sequences of different tokens
in lock-step through the model's batch decode (tern-run --tokens A --tokens B
... --logits-out) and holds each sequence's logits:
  * exactly (bit for bit) to those of decoding it alone (--decode-steps);
  * to the NumPy reference of docs/model-spec (examples/reference) within the
    bounds of e2e_check.py (relative L2, argmax at decisive positions).
Exits non-zero with a message on the first failure.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "examples", "reference"))
sys.path.insert(0, HERE)
import tern_reference  # noqa: E402
from e2e_check import check_logits, run  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", required=True, help="scratch directory")
    p.add_argument("--bin", required=True, help="directory with ternc and tern-run")
    p.add_argument("--hidden-size", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=3, help="number of sequences B")
    p.add_argument("--tokens", type=int, default=8, help="tokens per sequence T")
    p.add_argument("--rtol-l2", type=float, default=1e-2)
    p.add_argument("--gap", type=float, default=0.05)
    args = p.parse_args()

    os.makedirs(args.work, exist_ok=True)
    model = os.path.join(args.work, "model")
    run([sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"),
         model, "--hidden-size", str(args.hidden_size), "--layers", str(args.layers),
         "--vocab", str(args.vocab), "--seed", str(args.seed)])
    artifact = os.path.join(args.work, "model.tern")
    run([os.path.join(args.bin, "ternc"), model, "-o", artifact, "--quiet"])
    tern_run = os.path.join(args.bin, "tern-run")

    rng = np.random.default_rng(args.seed + 2000)
    sequences = [rng.integers(0, args.vocab, size=args.tokens).tolist() for _ in range(args.batch)]
    if len({tuple(s) for s in sequences}) != args.batch:
        sys.exit("FAIL: the random sequences are not all different (pick another --seed)")
    texts = [",".join(map(str, s)) for s in sequences]

    batch_path = os.path.join(args.work, "batch.npy")
    cmd = [tern_run, artifact, "--logits-out", batch_path]
    for text in texts:
        cmd += ["--tokens", text]
    run(cmd)
    batch = np.load(batch_path)
    expected_shape = (args.batch, args.tokens, args.vocab)
    if batch.shape != expected_shape:
        sys.exit(f"FAIL: batch logits have shape {batch.shape}, expected {expected_shape}")

    reference = tern_reference.Reference(model)
    for b, text in enumerate(texts):
        alone_path = os.path.join(args.work, f"alone{b}.npy")
        run([tern_run, artifact, "--tokens", text, "--decode-steps", "--logits-out", alone_path])
        alone = np.load(alone_path)
        differing = int(np.count_nonzero(batch[b] != alone))
        print(f"sequence {b}: batch vs alone: {differing} of {alone.size} logits differ")
        if differing:
            sys.exit(f"FAIL: sequence {b}: batch decode differs from decoding it alone "
                     f"(max |diff| {float(np.max(np.abs(batch[b] - alone))):.3e})")
        ref_logits, _ = reference.forward(np.array(sequences[b]))
        check_logits(f"sequence {b}: batch vs reference", batch[b], ref_logits,
                     args.rtol_l2, args.gap)
    print("OK")


if __name__ == "__main__":
    main()
