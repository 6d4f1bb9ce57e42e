#!/usr/bin/python3
"""End-to-end checks of CUDA artifacts against the NumPy reference and the CPU backend.

Two steps, because the GPU machine has no compiler and the compiling machine no GPU:
  prepare  (needs ternc and the reference): make each case's seeded random
           checkpoint, compile it for CUDA (and for the CPU), and store what the
           GPU must reproduce: the reference's prefill logits, greedy
           continuation with its top-1/top-2 gaps, perplexity, and the CPU
           backend's logits.
  check    (needs tern-run, a GPU and numpy): run the CUDA artifact and hold it
           to those results, with the bounds of test/e2e/e2e_check.py:
             * prefill logits: relative L2 <= 1e-2 against the reference, the
               same argmax wherever the reference's top-1/top-2 gap > 0.05;
               and the same against the CPU backend's logits; a larger
               difference passes only when one int8 rounding flip explains it:
               the logits then match (to 1e-4) the reference's with one of its
               activations that lie within float noise of a .5 boundary
               rounded the other way (prepare stores those alternatives);
             * prefill of T tokens == T decode steps (eager, then CUDA graph);
             * greedy continuation == the reference's, up to the first step
               whose reference gap is within 0.05 (after it may diverge);
             * perplexity: mean NLL within 1e-3 of the reference's, relative to
               its size when above 1;
             * batch decode of BATCH sequences (the prompt and BATCH-1 others of
               its length) in lock-step (eager, then CUDA graph): each
               sequence's logits against the reference and the CPU backend's
               batch decode, as prefill above.
  run      both, on a machine with a compiler and a GPU (the lit tests).
Exits non-zero with "FAIL: ..." on the first failure; prints "OK <case>" per case.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: checkpoint options, prompt length, ternc target, packing. Sizes are chosen to take both
# kernel paths: rows whose width is a multiple of 16 use the dp4a matvec (H=64, 96, 1024, I=256...;
# H=96 in the loop that takes one 32-bit word per lane at a time), others (H=200, I=522) and base3
# the generic reduction kernels.
CASES = {
    "small": (dict(hidden_size=64, layers=2, vocab=100, seed=0), 12, "cuda", "two_bit"),
    "small-sm90": (dict(hidden_size=64, layers=2, vocab=100, seed=0), 12, "cuda-sm_90", "two_bit"),
    "odd-sizes": (dict(hidden_size=200, layers=2, vocab=300, intermediate_size=522, seed=2), 12,
                  "cuda", "two_bit"),
    "deep": (dict(hidden_size=96, layers=4, vocab=257, seed=3, dtype="f16", shards=2), 16, "cuda",
             "two_bit"),
    "base3": (dict(hidden_size=80, layers=6, vocab=150, seed=4, dtype="f32"), 12, "cuda", "base3"),
    "wide": (dict(hidden_size=1024, layers=2, vocab=1000, seed=5), 12, "cuda-sm_90", "two_bit"),
    # sm_90 (programmatic dependent launch) with generic kernels only, and with rows too long for
    # the matvec to load all its weights before it waits (I = 16448: 33 words per lane).
    "odd-sizes-sm90": (dict(hidden_size=200, layers=2, vocab=300, intermediate_size=522, seed=6),
                       12, "cuda-sm_90", "two_bit"),
    "long-rows-sm90": (dict(hidden_size=64, layers=2, vocab=100, intermediate_size=16448, seed=7),
                       12, "cuda-sm_90", "two_bit"),
    # The GLU computed in the gate/up product's epilogue when the product's 2I = 520 rows (2 a
    # warp, 16 a block) leave warps of the last block without rows.
    "glu-epilogue": (dict(hidden_size=64, layers=2, vocab=100, intermediate_size=260, seed=8),
                     12, "cuda", "two_bit"),
}
RTOL_L2, GAP, NEW_TOKENS, PPL_TOKENS = 1e-2, 0.05, 8, 40
# A difference beyond RTOL_L2 passes when the reference with one activation rounded the other way
# is this near (float noise; a wrong kernel is not), among at most FLIPS such alternatives.
FLIP_RTOL_L2, FLIPS = 1e-4, 32
BATCH = 3  # sequences in the batch-decode check


def batch_tokens(sequences):
    """tern-run's batch-decode arguments: one --tokens per sequence."""
    args = []
    for seq in sequences:
        args += ["--tokens", ",".join(map(str, seq))]
    return args


def run(cmd, env=None):
    try:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, timeout=600)
    except subprocess.TimeoutExpired:
        sys.exit(f"FAIL: {' '.join(cmd)} did not finish in 600 s")
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {result.returncode}\n{result.stderr}")
    return result.stdout


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def compare_logits(ours, ref, rtol=RTOL_L2):
    """(summary, problem): problem is None when ours is within rtol of ref (relative L2) with the
    same argmax wherever ref's top-1/top-2 gap exceeds GAP."""
    if ours.shape != ref.shape:
        return "", f"shape {ours.shape} != {ref.shape}"
    if not np.all(np.isfinite(ours)):
        return "", "non-finite logits"
    err = rel_l2(ours, ref)
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > GAP
    bad = np.nonzero(decisive & (np.argmax(ours, -1) != np.argmax(ref, -1)))[0]
    summary = (f"rel_l2={err:.3e} decisive={int(decisive.sum())}/{len(ref)} "
               f"argmax_disagree_decisive={len(bad)}")
    if err > rtol:
        return summary, f"relative L2 {err:.3e} > {rtol}"
    if len(bad):
        return summary, f"argmax differs at decisive positions {bad.tolist()}"
    return summary, None


def flip_explaining(ours, flips):
    """The reference's one-flip alternative (prepare: flip_alternatives) that ours matches to
    within FLIP_RTOL_L2, as (its index, its summary), or None."""
    for k, alt in enumerate(flips if flips is not None else []):
        summary, problem = compare_logits(ours, alt, FLIP_RTOL_L2)
        if problem is None:
            return k, summary
    return None


def check_logits(what, ours, ref, flips=None, reference=None):
    """Fails unless ours agrees with ref (compare_logits). Beyond the bound it still passes when
    one int8 rounding flip explains the difference (model-spec.md: an activation within float
    noise of a .5 boundary rounding the other way, which in the large-weight cases moves the logits
    by up to a few 1e-2): ours then matches, to float noise, the reference with one of its
    activations that lie that near a boundary rounded the other way (`flips`). `reference`: for a
    comparison with another backend, the NumPy reference that backend must itself agree with."""
    summary, problem = compare_logits(ours, ref)
    print(f"  {what}: {summary}")
    if problem is None:
        return
    explained = flip_explaining(ours, flips)
    if explained is not None and (reference is None or
                                  compare_logits(ref, reference)[1] is None):
        print(f"    explained by an int8 rounding flip: the reference with fragile activation "
              f"{explained[0]} rounded the other way: {explained[1]}")
        return
    sys.exit(f"FAIL: {what}: {problem}")


def flip_alternatives(tern_reference, reference, ids):
    """The reference's logits for `ids` [T, V], and its logits with each of its first FLIPS
    activations that lie within float noise of a .5 boundary (tern_reference.RoundingProbe)
    rounded the other way: [n, T, V]."""
    with tern_reference.probing() as probe:
        logits = reference.forward(np.array(ids))[0]
    alternatives = [logits[None][:0]]
    for where in probe.fragile[:FLIPS]:
        with tern_reference.probing(flip=where):
            alternatives.append(reference.forward(np.array(ids))[0][None])
    return logits, np.concatenate(alternatives)


def prepare(case, work, bindir):
    sys.path.insert(0, os.path.join(ROOT, "examples", "reference"))
    import tern_reference  # noqa: E402

    opts, tokens, target, packing = CASES[case]
    d = os.path.join(work, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    model = os.path.join(d, "checkpoint")
    make = [sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"), model]
    for k, v in opts.items():
        make += ["--" + k.replace("_", "-"), str(v)]
    run(make)
    ternc = os.path.join(bindir, "ternc")
    run([ternc, model, "--target", target, "--packing", packing, "-o", os.path.join(d, "cuda.tern"),
         "--quiet"])
    # The CPU backend's logits are a second witness; a CPU compile failure is that backend's (its
    # own tests report it), so the case then goes on without them.
    cpu = subprocess.run([ternc, model, "--packing", packing, "-o", os.path.join(d, "cpu.tern"),
                          "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    rng = np.random.default_rng(opts["seed"] + 1000)
    ids = rng.integers(0, opts["vocab"], size=tokens)
    ppl_ids = rng.integers(0, opts["vocab"], size=PPL_TOKENS)
    batch = [ids.tolist()] + [rng.integers(0, opts["vocab"], size=tokens).tolist()
                              for _ in range(BATCH - 1)]
    reference = tern_reference.Reference(model)
    logits, state = reference.forward(ids)
    # Each sequence's logits and their one-flip alternatives (batch[0] is the prompt: its
    # alternatives serve prefill and the decode steps too).
    ref_batch, flips = zip(*(flip_alternatives(tern_reference, reference, seq) for seq in batch))
    ref_batch = np.stack(ref_batch)
    greedy = reference.greedy(ids, NEW_TOKENS, prefill=(logits, state))
    # the reference's top-1/top-2 gap at each greedy step
    gaps, step_logits, step_state = [], logits[-1], state
    for tok in greedy:
        top2 = np.sort(step_logits)[-2:]
        gaps.append(float(top2[1] - top2[0]))
        lg, step_state = reference.forward([tok], step_state)
        step_logits = lg[-1]
    if cpu.returncode == 0:
        cpu = subprocess.run([os.path.join(bindir, "tern-run"), os.path.join(d, "cpu.tern"),
                              "--tokens", ",".join(map(str, ids)), "--logits-out",
                              os.path.join(d, "cpu_prefill.npy")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if cpu.returncode == 0:
            cpu = subprocess.run([os.path.join(bindir, "tern-run"), os.path.join(d, "cpu.tern"),
                                  "--logits-out", os.path.join(d, "cpu_batch.npy")] +
                                 batch_tokens(batch),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.remove(os.path.join(d, "cpu.tern"))
    if cpu.returncode != 0:
        why = (cpu.stderr.strip().splitlines() or [f"exit status {cpu.returncode}"])[-1]
        print(f"  (no CPU-backend witness for {case}: {why})")
    np.save(os.path.join(d, "ref_prefill.npy"), logits)
    np.save(os.path.join(d, "ref_batch.npy"), ref_batch)
    for b, alternatives in enumerate(flips):
        np.save(os.path.join(d, f"ref_flips{b}.npy"), alternatives)
    np.savetxt(os.path.join(d, "ppl_ids.txt"), ppl_ids[None, :], fmt="%d")
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump({"ids": ids.tolist(), "batch": batch, "greedy": greedy, "greedy_gaps": gaps,
                   "perplexity": float(reference.perplexity(ppl_ids))}, f)
    shutil.rmtree(model)  # the GPU side needs only the artifact and these results
    print(f"prepared {case}")


def check(case, work, bindir):
    d = os.path.join(work, case)
    with open(os.path.join(d, "expected.json")) as f:
        expected = json.load(f)
    artifact = os.path.join(d, "cuda.tern")
    tern_run = [os.path.join(bindir, "tern-run"), artifact, "--device", "cuda"]
    ids = ",".join(map(str, expected["ids"]))
    ref = np.load(os.path.join(d, "ref_prefill.npy"))
    print(f"{case}:")

    ours_path = os.path.join(d, "gpu_prefill.npy")
    run(tern_run + ["--tokens", ids, "--logits-out", ours_path])
    ours = np.load(ours_path)
    # The reference's one-flip alternatives of each batch sequence; sequence 0 is the prompt.
    flips = [np.load(os.path.join(d, f"ref_flips{b}.npy"))
             if os.path.exists(os.path.join(d, f"ref_flips{b}.npy")) else None
             for b in range(len(expected["batch"]))]
    check_logits("prefill vs reference", ours, ref, flips[0])
    cpu_path = os.path.join(d, "cpu_prefill.npy")
    if os.path.exists(cpu_path):
        check_logits("prefill vs CPU backend", ours, np.load(cpu_path), flips[0], ref)

    # decode steps: the first runs eagerly, the second captures the CUDA graph, the rest replay it
    for graph in ("0", "1"):
        steps_path = os.path.join(d, f"gpu_steps_graph{graph}.npy")
        env = dict(os.environ, TERN_CUDA_GRAPH=graph)
        run(tern_run + ["--tokens", ids, "--decode-steps", "--logits-out", steps_path], env=env)
        steps = np.load(steps_path)
        err = rel_l2(steps, ours)
        print(f"  prefill vs decode steps (graph={graph}): rel_l2={err:.3e}")
        if err > 1e-5:
            check_logits(f"decode steps (graph={graph}) vs reference", steps, ref, flips[0])

    out = run(tern_run + ["--tokens", ids, "--max-new-tokens", str(NEW_TOKENS)])
    ours_ids = [int(t) for t in out.strip().split(",") if t]
    ref_ids, gaps = expected["greedy"], expected["greedy_gaps"]
    print(f"  greedy: ours={ours_ids} ref={ref_ids}")
    for i, (a, b) in enumerate(zip(ours_ids, ref_ids)):
        if a != b:
            if gaps[i] > GAP:
                sys.exit(f"FAIL: greedy step {i} differs where the reference's gap is {gaps[i]:.3f}")
            print(f"  (diverges at step {i}, where the reference's gap is only {gaps[i]:.3f})")
            break
    if len(ours_ids) != len(ref_ids):
        sys.exit("FAIL: greedy continuation has the wrong length")

    out = run(tern_run + ["--ppl", os.path.join(d, "ppl_ids.txt")])
    ours_ppl = float(out.split("perplexity:")[1].split()[0])
    print(f"  perplexity: ours={ours_ppl:.6f} ref={expected['perplexity']:.6f}")
    # e2e_check.py's bound, 1e-3 relative on the perplexity, is 1e-3 on the mean log-likelihood;
    # here it is relative to that mean, because the "wide" case's logits are of order 1e5 (its
    # perplexity ~1e32), where float32 noise of 1e-7 in the logits moves the mean by ~1e-2.
    nll_ours, nll_ref = np.log(ours_ppl), np.log(expected["perplexity"])
    if abs(nll_ours - nll_ref) > 1e-3 * max(1.0, abs(nll_ref)):
        sys.exit(f"FAIL: perplexities differ (mean NLL {nll_ours:.6f} vs {nll_ref:.6f})")

    # batch decode: the first step runs eagerly, the second captures the CUDA graph
    ref_batch = np.load(os.path.join(d, "ref_batch.npy"))
    cpu_batch_path = os.path.join(d, "cpu_batch.npy")
    for graph in ("0", "1"):
        batch_path = os.path.join(d, f"gpu_batch_graph{graph}.npy")
        env = dict(os.environ, TERN_CUDA_GRAPH=graph)
        run(tern_run + ["--logits-out", batch_path] + batch_tokens(expected["batch"]), env=env)
        batch = np.load(batch_path)
        if batch.shape != ref_batch.shape:
            sys.exit(f"FAIL: batch decode logits have shape {batch.shape}, expected {ref_batch.shape}")
        for b in range(len(batch)):
            check_logits(f"batch decode (graph={graph}) sequence {b} vs reference", batch[b],
                         ref_batch[b], flips[b])
            if os.path.exists(cpu_batch_path):
                check_logits(f"batch decode (graph={graph}) sequence {b} vs CPU backend", batch[b],
                             np.load(cpu_batch_path)[b], flips[b], ref_batch[b])
        err = rel_l2(batch[0], np.load(os.path.join(d, f"gpu_steps_graph{graph}.npy")))
        print(f"  batch decode (graph={graph}) sequence 0 vs its decode steps: rel_l2={err:.3e}")
    print(f"OK {case}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["prepare", "check", "run"])
    p.add_argument("--work", required=True, help="directory of the prepared cases")
    p.add_argument("--bin", required=True, help="directory with ternc (prepare) and tern-run (check)")
    p.add_argument("--case", action="append", choices=sorted(CASES),
                   help="a case (repeatable; default: all)")
    args = p.parse_args()
    for case in args.case or sorted(CASES):
        if args.step in ("prepare", "run"):
            prepare(case, args.work, args.bin)
        if args.step in ("check", "run"):
            check(case, args.work, args.bin)


if __name__ == "__main__":
    main()
