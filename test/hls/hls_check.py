#!/usr/bin/python3
"""C simulation of `ternc --target=hls` on a seeded random checkpoint, held to the CPU backend.

Model top (default):
  * the generated project passes hls_lint.py;
  * `make csim` (g++, tern's ap_int/hls::stream shim) runs the prompt; its logits match
    `tern-run --logits-out` of the CPU artifact to relative L2 <= --rtol-l2 (the float operations
    are the same, in the same order), and the NumPy reference to the model-spec bound (1e-2);
  * the same tokens as single decode steps (--decode-steps) give the same logits bit for bit;
  * integer accumulations: every ternary accumulate's int32 results (traced in C simulation)
    equal sum_k q[k] * t[n, k] computed exactly in NumPy from the traced int8 activations and the
    reference's ternarisation of the checkpoint; and the first BitLinear's activations equal the
    reference's.
With --layer NAME (--hls-top=layer): random rows through one BitLinear, y and the accumulators
compared with the reference's BitLinear.
Prints the figures and OK, or exits non-zero with FAIL: ...
"""
import argparse
import glob
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "examples", "reference"))
import tern_reference as ref  # noqa: E402


def run(cmd, cwd=None):
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    if "WARNING" in result.stderr or "ERROR" in result.stderr:
        sys.exit(f"FAIL: {' '.join(cmd)} reported problems:\n{result.stderr}")
    return result.stdout


def rel_l2(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b) / np.linalg.norm(b))


def bitlinear_of(model, key):
    """The reference BitLinear for a weight name: model.layers.3.attn.i_proj, lm_head."""
    if key == "lm_head":
        return model.lm_head
    parts = key.split(".")
    if len(parts) != 5 or parts[:2] != ["model", "layers"]:
        sys.exit(f"FAIL: unexpected trace key {key}")
    return model.layers[int(parts[2])][parts[4]]


def check_accumulators(model, trace_dir, rows):
    """Every traced accumulate: acc == q @ trits.T exactly (int64)."""
    checked = 0
    for q_file in sorted(glob.glob(os.path.join(trace_dir, "*.q.npy"))):
        key = os.path.basename(q_file)[:-len(".q.npy")]
        bl = bitlinear_of(model, key)
        q = np.load(q_file).reshape(rows, bl.K).astype(np.int64)
        acc = np.load(os.path.join(trace_dir, key + ".acc.npy")).reshape(rows, bl.N)
        if np.abs(q).max() > 128:
            sys.exit(f"FAIL: {key}: traced activations outside int8")
        exact = q @ bl.trits.astype(np.int64).T
        bad = np.count_nonzero(exact != acc)
        if bad:
            sys.exit(f"FAIL: {key}: {bad} of {acc.size} int32 accumulators differ from the exact sum")
        checked += 1
    if checked == 0:
        sys.exit("FAIL: no accumulator traces were written")
    return checked


def make_checkpoint(args, work):
    model_dir = os.path.join(work, "model")
    cmd = [sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"), model_dir,
           "--hidden-size", str(args.hidden_size), "--layers", str(args.layers),
           "--vocab", str(args.vocab), "--seed", str(args.seed), "--dtype", args.dtype]
    if args.intermediate_size:
        cmd += ["--intermediate-size", str(args.intermediate_size)]
    run(cmd)
    return model_dir


def check_model(args, model_dir, ternc, tern_run):
    work = args.work
    project = os.path.join(work, "hls")
    run([ternc, model_dir, "-o", os.path.join(work, "model.tern"), "--packing", args.packing, "--quiet"])
    run([ternc, model_dir, "--target=hls", "-o", project, "--packing", args.packing,
         "--hls-lanes", str(args.lanes), "--quiet"])
    print(run([sys.executable, os.path.join(HERE, "hls_lint.py"), project]).strip())

    rng = np.random.default_rng(args.seed)
    ids = ",".join(str(int(i)) for i in rng.integers(0, args.vocab, args.tokens))
    trace = os.path.join(work, "trace")
    os.makedirs(trace, exist_ok=True)
    csim_logits = os.path.join(work, "csim.npy")
    run(["make", "-s", "-C", project, "csim",
         f"TB_ARGS=--tokens {ids} --logits-out {csim_logits} --trace-dir {trace}"])
    steps_logits = os.path.join(work, "csim_steps.npy")
    run([os.path.join(project, "build", "csim"), "--tokens", ids, "--logits-out", steps_logits,
         "--decode-steps"])
    cpu_logits = os.path.join(work, "cpu.npy")
    run([tern_run, os.path.join(work, "model.tern"), "--tokens", ids, "--logits-out", cpu_logits])

    ours, cpu, steps = np.load(csim_logits), np.load(cpu_logits), np.load(steps_logits)
    if ours.shape != cpu.shape:
        sys.exit(f"FAIL: csim logits {ours.shape} vs CPU {cpu.shape}")
    err = rel_l2(ours, cpu)
    print(f"csim vs CPU backend: rel_l2={err:.3e} max_abs={np.abs(ours - cpu).max():.3e} "
          f"identical={np.count_nonzero(ours == cpu)}/{ours.size}")
    if err > args.rtol_l2:
        sys.exit(f"FAIL: csim logits differ from the CPU backend: rel L2 {err:.3e} > {args.rtol_l2}")
    if not np.array_equal(steps, ours):
        sys.exit("FAIL: decode steps give other logits than the prompt in one call")
    print("csim decode steps vs prefill: identical")

    model = ref.Reference(model_dir)
    token_ids = [int(i) for i in ids.split(",")]
    reference, _ = model.forward(np.array(token_ids))
    ref_err = rel_l2(ours, reference)
    print(f"csim vs NumPy reference: rel_l2={ref_err:.3e}")
    if ref_err > 1e-2:
        sys.exit(f"FAIL: csim logits differ from the reference: rel L2 {ref_err:.3e} > 1e-2")

    checked = check_accumulators(model, trace, len(token_ids))
    print(f"integer accumulators: {checked} BitLinears identical to the exact integer sums")
    # The first BitLinear's int8 activations, from the reference's own forward pass.
    layer0 = model.layers[0]
    x = ref.rms_norm(model.embed(np.array(token_ids)), layer0["attn_norm"], model.eps)
    q_ref, _ = ref.quantize_activations(ref.rms_norm(x, layer0["i_proj"].g, ref.BITLINEAR_EPS))
    q_ours = np.load(os.path.join(trace, "model.layers.0.attn.i_proj.q.npy")).reshape(q_ref.shape)
    flips = np.count_nonzero(q_ours != q_ref)
    print(f"first BitLinear int8 activations vs reference: {flips} of {q_ref.size} differ")
    if flips:
        sys.exit("FAIL: the first BitLinear's activations differ from the reference")


def check_layer(args, model_dir, ternc):
    work = args.work
    project = os.path.join(work, "hls_layer")
    run([ternc, model_dir, "--target=hls", "--hls-top=layer", "--hls-layer", args.layer, "-o", project,
         "--packing", args.packing, "--hls-lanes", str(args.lanes), "--quiet"])
    print(run([sys.executable, os.path.join(HERE, "hls_lint.py"), project]).strip())
    trace = os.path.join(work, "trace_layer")
    os.makedirs(trace, exist_ok=True)
    x_file, y_file = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
    run(["make", "-s", "-C", project, "csim",
         f"TB_ARGS=--random-rows {args.tokens} --seed {args.seed} --save-input {x_file} "
         f"--output {y_file} --trace-dir {trace}"])
    model = ref.Reference(model_dir)
    bl = bitlinear_of(model, args.layer)
    x, y = np.load(x_file), np.load(y_file)
    expected = bl(x)
    err = rel_l2(y, expected)
    print(f"layer {args.layer} [{bl.N}x{bl.K}]: csim vs reference BitLinear: rel_l2={err:.3e}")
    if err > args.rtol_l2:
        sys.exit(f"FAIL: layer output differs from the reference: rel L2 {err:.3e} > {args.rtol_l2}")
    checked = check_accumulators(model, trace, x.shape[0])
    q_ref, _ = ref.quantize_activations(ref.rms_norm(x, bl.g, ref.BITLINEAR_EPS))
    q_ours = np.load(os.path.join(trace, args.layer + ".q.npy")).reshape(q_ref.shape)
    print(f"integer accumulators: {checked} BitLinear identical to the exact integer sums; "
          f"int8 activations differing from the reference: {np.count_nonzero(q_ours != q_ref)}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", required=True)
    p.add_argument("--bin", required=True, help="directory with ternc and tern-run")
    p.add_argument("--hidden-size", type=int, required=True)
    p.add_argument("--layers", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--intermediate-size", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="bf16")
    p.add_argument("--packing", default="two_bit")
    p.add_argument("--lanes", type=int, default=64, help="ternc --hls-lanes")
    p.add_argument("--tokens", type=int, default=6, help="prompt length (rows for --layer)")
    p.add_argument("--rtol-l2", type=float, default=1e-5)
    p.add_argument("--layer", help="check --hls-top=layer for this weight instead of the model")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    model_dir = make_checkpoint(args, args.work)
    ternc, tern_run = os.path.join(args.bin, "ternc"), os.path.join(args.bin, "tern-run")
    if args.layer:
        check_layer(args, model_dir, ternc)
    else:
        check_model(args, model_dir, ternc, tern_run)
    print("OK")


if __name__ == "__main__":
    main()
