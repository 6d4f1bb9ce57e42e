#!/usr/bin/python3
"""Compare a backend's logits against the reference's (both np.save'd float32 [T, V]).

    compare_logits.py OURS.npy REF.npy [--rtol-l2 1e-2] [--gap 0.05]

Passes (exit 0, prints "OK rel_l2=...") when
  * the shapes agree,
  * rel_l2 = ||ours - ref|| / ||ref|| over all positions is <= --rtol-l2, and
  * at every "decisive" position -- where the reference's top-1 minus top-2 logit exceeds
    --gap -- both pick the same argmax.
Otherwise exits 1 with a FAIL message. (model-spec.md: float-rounding agreement is ~1e-6;
an int8 rounding flip in a deep random model can legitimately reach ~1e-2.)
"""

import argparse
import sys

import numpy as np


def compare(ours, ref, rtol_l2=1e-2, gap=0.05):
    """Returns (ok, lines): the verdict and the report lines."""
    lines = []
    if ours.shape != ref.shape:
        return False, ["FAIL: shapes differ: ours %s vs ref %s" % (ours.shape, ref.shape)]
    if ref.ndim == 1:  # a single position saved as [V]
        ours, ref = ours[None], ref[None]
    if ref.ndim != 2 or ref.shape[1] < 2:
        return False, ["FAIL: expected logits of shape [T, V] with V >= 2, got %s" % (ref.shape,)]
    ours = ours.astype(np.float64)
    ref = ref.astype(np.float64)
    if not np.all(np.isfinite(ref)):
        return False, ["FAIL: reference logits contain non-finite values"]
    if not np.all(np.isfinite(ours)):
        return False, ["FAIL: our logits contain %d non-finite values" % int(np.sum(~np.isfinite(ours)))]

    ref_norm = np.linalg.norm(ref)
    diff_norm = np.linalg.norm(ours - ref)
    rel_l2 = diff_norm / ref_norm if ref_norm > 0 else (0.0 if diff_norm == 0 else np.inf)
    max_abs = float(np.max(np.abs(ours - ref)))
    lines.append("positions %d, vocab %d" % ref.shape)
    lines.append("rel_l2 %.3e (limit %.1e), max |diff| %.3e" % (rel_l2, rtol_l2, max_abs))

    top2 = np.sort(np.partition(ref, -2, axis=1)[:, -2:], axis=1)
    ref_gap = top2[:, 1] - top2[:, 0]
    decisive = ref_gap > gap
    am_ours = np.argmax(ours, axis=1)
    am_ref = np.argmax(ref, axis=1)
    agree = am_ours == am_ref
    bad = np.nonzero(decisive & ~agree)[0]
    lines.append("decisive positions (top-1/top-2 gap > %g): %d of %d; argmax agrees at %d of them"
                 % (gap, int(decisive.sum()), ref.shape[0], int((decisive & agree).sum())))
    lines.append("argmax agrees at %d of %d positions overall" % (int(agree.sum()), ref.shape[0]))

    ok = True
    if not rel_l2 <= rtol_l2:
        lines.append("FAIL: rel_l2 %.3e exceeds %.1e" % (rel_l2, rtol_l2))
        ok = False
    if bad.size:
        shown = ", ".join("t=%d ours %d ref %d (gap %.3g)" % (t, am_ours[t], am_ref[t], ref_gap[t])
                          for t in bad[:10])
        lines.append("FAIL: argmax differs at %d decisive position(s): %s%s"
                     % (bad.size, shown, " ..." if bad.size > 10 else ""))
        ok = False
    if ok:
        lines.append("OK rel_l2=%.3e" % rel_l2)
    return ok, lines


def main(argv=None):
    ap = argparse.ArgumentParser(description="compare logits against the reference")
    ap.add_argument("ours")
    ap.add_argument("ref")
    ap.add_argument("--rtol-l2", type=float, default=1e-2)
    ap.add_argument("--gap", type=float, default=0.05)
    args = ap.parse_args(argv)
    ok, lines = compare(np.load(args.ours), np.load(args.ref), args.rtol_l2, args.gap)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
