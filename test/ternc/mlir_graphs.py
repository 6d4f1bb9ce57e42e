#!/usr/bin/python3
"""MLIR graphs with matmuls against ternary constants, through ternc and tern-run.

Each case writes a small module of func.funcs on tensors, checks that
`ternc --compile-to=eliminate-matmul` left no contraction in it (the matmuls
became tern.ternary_accumulate), compiles it with `ternc graph.mlir -o
graph.tern`, runs `tern-run graph.tern --function NAME --input ... --output-dir`
and compares every result with NumPy's dense computation of the original
graph: float results to a relative L2 of 1e-6 (only the summation order
differs), integer results bit for bit, and the opt-ins to NumPy emulations of
their approximation. Prints "OK <case>" per case; exits non-zero with
"FAIL: ..." on the first failure.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

# What must be gone after tern-eliminate-matmul: the named contractions, and every reduction
# (the cases' generics reduce; what the pass adds is elementwise).
CONTRACTIONS = ("linalg.matmul", "linalg.matvec", "linalg.vecmat", "linalg.batch_matmul",
                '"reduction"')


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {result.returncode}\n{result.stderr}")
    return result.stdout


def literal(a):
    """An MLIR dense literal of a NumPy array."""
    if a.ndim == 0:
        return repr(a.item())
    return "[" + ", ".join(literal(x) for x in a) + "]"


def ttype(shape, dtype):
    return "tensor<" + "".join(f"{'?' if d is None else d}x" for d in shape) + dtype + ">"


def ternary(rng, shape, scale, dtype):
    return (rng.integers(-1, 2, size=shape) * scale).astype(dtype)


def wrap_int(x, bits):
    """Two's complement wrap of Python/NumPy integers to `bits`."""
    x = np.asarray(x, dtype=object) % (1 << bits)
    x = np.where(x >= (1 << (bits - 1)), x - (1 << bits), x)
    return x.astype({8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[bits])


def imatmul(x, w, bits):
    """Integer matmul in `bits`-bit wrapping arithmetic, as linalg does it (sign-extend first)."""
    return wrap_int(np.matmul(x.astype(object), w.astype(object)), bits)


def zero_init(name, shape, dtype, dyn_dims=()):
    """Lines making a zero-filled init named %name of `shape` (dims of %x in dyn_dims)."""
    lines = []
    dyn = []
    for i, d in enumerate(shape):
        if d is None:
            lines.append(f"%c{i}_{name} = arith.constant {dyn_dims[i]} : index")
            lines.append(f"%d{i}_{name} = tensor.dim %x, %c{i}_{name} : {{xtype}}")
            dyn.append(f"%d{i}_{name}")
    zero = "0.0" if dtype.startswith("f") else "0"
    lines.append(f"%e_{name} = tensor.empty({', '.join(dyn)}) : {ttype(shape, dtype)}")
    lines.append(f"%z_{name} = arith.constant {zero} : {dtype}")
    lines.append(f"%{name} = linalg.fill ins(%z_{name} : {dtype}) outs(%e_{name} : "
                 f"{ttype(shape, dtype)}) -> {ttype(shape, dtype)}")
    return lines


class Case:
    def __init__(self, name, mlir, function, inputs, expected, tol=1e-6, flags=()):
        self.name, self.mlir, self.function = name, mlir, function
        self.inputs, self.expected, self.tol, self.flags = inputs, expected, tol, list(flags)


def cases(rng):
    out = []

    # linalg.matmul, f32, dynamic rows, weight in {-0.25, 0, 0.25}.
    w = ternary(rng, (48, 40), 0.25, np.float32)
    x = rng.standard_normal((5, 48)).astype(np.float32)
    body = zero_init("init", (None, 40), "f32", {0: 0})
    mlir = "\n".join([
        "func.func @matmul(%x: tensor<?x48xf32>) -> tensor<?x40xf32> {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<48x40xf32>",
        *("  " + l.format(xtype="tensor<?x48xf32>") for l in body),
        "  %y = linalg.matmul ins(%x, %w : tensor<?x48xf32>, tensor<48x40xf32>) "
        "outs(%init : tensor<?x40xf32>) -> tensor<?x40xf32>",
        "  return %y : tensor<?x40xf32>", "}"])
    out.append(Case("matmul_f32", mlir, "matmul", [x], [x.astype(np.float64) @ w]))

    # The constant on the left, a non-zero init (a second argument), two results.
    w = ternary(rng, (24, 32), 2.0, np.float32)
    x = rng.standard_normal((32, 7)).astype(np.float32)
    c = rng.standard_normal((24, 7)).astype(np.float32)
    mlir = "\n".join([
        "func.func @lhs(%x: tensor<32x7xf32>, %c: tensor<24x7xf32>) -> (tensor<24x7xf32>, tensor<24x7xf32>) {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<24x32xf32>",
        "  %y = linalg.matmul ins(%w, %x : tensor<24x32xf32>, tensor<32x7xf32>) "
        "outs(%c : tensor<24x7xf32>) -> tensor<24x7xf32>",
        "  %t = math.tanh %y : tensor<24x7xf32>",
        "  return %y, %t : tensor<24x7xf32>, tensor<24x7xf32>", "}"])
    ref = c.astype(np.float64) + w.astype(np.float64) @ x
    out.append(Case("lhs_constant_with_init", mlir, "lhs", [x, c], [ref, np.tanh(ref)]))

    # linalg.matvec and linalg.vecmat in f64.
    a = ternary(rng, (16, 12), 1.5, np.float64)
    v = rng.standard_normal(12)
    mlir = "\n".join([
        "func.func @matvec(%x: tensor<12xf64>) -> tensor<16xf64> {",
        f"  %a = arith.constant dense<{literal(a)}> : tensor<16x12xf64>",
        "  %z = arith.constant dense<0.0> : tensor<16xf64>",
        "  %y = linalg.matvec ins(%a, %x : tensor<16x12xf64>, tensor<12xf64>) "
        "outs(%z : tensor<16xf64>) -> tensor<16xf64>",
        "  return %y : tensor<16xf64>", "}"])
    out.append(Case("matvec_f64", mlir, "matvec", [v], [a @ v]))

    # linalg.vecmat in i8 -> i32 with s = 3: bit for bit.
    b = ternary(rng, (20, 9), 3, np.int8)
    v = rng.integers(-128, 128, size=20).astype(np.int8)
    mlir = "\n".join([
        "func.func @vecmat(%x: tensor<20xi8>) -> tensor<9xi32> {",
        f"  %b = arith.constant dense<{literal(b)}> : tensor<20x9xi8>",
        "  %z = arith.constant dense<0> : tensor<9xi32>",
        "  %y = linalg.vecmat ins(%x, %b : tensor<20xi8>, tensor<20x9xi8>) "
        "outs(%z : tensor<9xi32>) -> tensor<9xi32>",
        "  return %y : tensor<9xi32>", "}"])
    out.append(Case("vecmat_i8_i32", mlir, "vecmat", [v], [imatmul(v, b, 32)]))

    # i32 matmul whose sums overflow: wrapping arithmetic, bit for bit.
    w = ternary(rng, (6, 5), 7, np.int32)
    x = rng.integers(-2**31, 2**31, size=(4, 6)).astype(np.int32)
    mlir = "\n".join([
        "func.func @wrap(%x: tensor<4x6xi32>) -> tensor<4x5xi32> {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<6x5xi32>",
        "  %z = arith.constant dense<0> : tensor<4x5xi32>",
        "  %y = linalg.matmul ins(%x, %w : tensor<4x6xi32>, tensor<6x5xi32>) "
        "outs(%z : tensor<4x5xi32>) -> tensor<4x5xi32>",
        "  return %y : tensor<4x5xi32>", "}"])
    out.append(Case("matmul_i32_wraps", mlir, "wrap", [x], [imatmul(x, w, 32)]))

    # linalg.batch_matmul: a different ternary weight per batch.
    w = ternary(rng, (3, 10, 6), 0.5, np.float32)
    x = rng.standard_normal((3, 4, 10)).astype(np.float32)
    mlir = "\n".join([
        "func.func @batch(%x: tensor<3x?x10xf32>) -> tensor<3x?x6xf32> {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<3x10x6xf32>",
        *("  " + l.format(xtype="tensor<3x?x10xf32>") for l in zero_init("init", (3, None, 6), "f32", {1: 1})),
        "  %y = linalg.batch_matmul ins(%x, %w : tensor<3x?x10xf32>, tensor<3x10x6xf32>) "
        "outs(%init : tensor<3x?x6xf32>) -> tensor<3x?x6xf32>",
        "  return %y : tensor<3x?x6xf32>", "}"])
    out.append(Case("batch_matmul_f32", mlir, "batch", [x], [np.matmul(x.astype(np.float64), w)]))

    # A linalg.generic: [B, T, K] activations against an f16 [N, K] weight (x @ w^T).
    w = ternary(rng, (8, 16), 0.125, np.float16)
    x = rng.standard_normal((2, 3, 16)).astype(np.float32)
    mlir = "\n".join([
        "#mx = affine_map<(b, t, n, k) -> (b, t, k)>",
        "#mw = affine_map<(b, t, n, k) -> (n, k)>",
        "#mc = affine_map<(b, t, n, k) -> (b, t, n)>",
        "func.func @generic(%x: tensor<2x3x16xf32>) -> tensor<2x3x8xf32> {",
        f"  %w = arith.constant dense<{literal(w.astype(np.float32))}> : tensor<8x16xf16>",
        "  %z = arith.constant dense<0.0> : tensor<2x3x8xf32>",
        "  %y = linalg.generic {indexing_maps = [#mx, #mw, #mc], "
        "iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"reduction\"]} "
        "ins(%x, %w : tensor<2x3x16xf32>, tensor<8x16xf16>) outs(%z : tensor<2x3x8xf32>) {",
        "  ^bb0(%a: f32, %b: f16, %c: f32):",
        "    %be = arith.extf %b : f16 to f32",
        "    %m = arith.mulf %a, %be : f32",
        "    %s = arith.addf %c, %m : f32",
        "    linalg.yield %s : f32",
        "  } -> tensor<2x3x8xf32>",
        "  return %y : tensor<2x3x8xf32>", "}"])
    out.append(Case("generic_3d_f16_weight", mlir, "generic", [x],
                    [x.astype(np.float64) @ w.astype(np.float64).T]))

    # Opt-in: int8 absmax activations (tern.quantize), checked against NumPy's emulation.
    w = ternary(rng, (64, 32), 0.5, np.float32)
    x = rng.standard_normal((6, 64)).astype(np.float32)
    mlir = "\n".join([
        "func.func @quantized(%x: tensor<6x64xf32>) -> tensor<6x32xf32> {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<64x32xf32>",
        "  %z = arith.constant dense<0.0> : tensor<6x32xf32>",
        "  %y = linalg.matmul ins(%x, %w : tensor<6x64xf32>, tensor<64x32xf32>) "
        "outs(%z : tensor<6x32xf32>) -> tensor<6x32xf32>",
        "  return %y : tensor<6x32xf32>", "}"])
    sx = np.float32(127) / np.maximum(np.abs(x).max(axis=1, keepdims=True), np.float32(1e-5))
    r = (x * sx).astype(np.float64)  # tern.quantize rounds half away from zero
    q = np.clip(np.sign(r) * np.floor(np.abs(r) + 0.5), -128, 127)
    out.append(Case("quantize_activations", mlir, "quantized", [x],
                    [(q.astype(np.float64) @ np.sign(w)) / sx * 0.5], tol=1e-5,
                    flags=["--quantize-activations"]))

    # Opt-in: absmean ternarization of a float weight that is not ternary.
    w = rng.standard_normal((24, 16)).astype(np.float32)
    x = rng.standard_normal((3, 24)).astype(np.float32)
    mlir = "\n".join([
        "func.func @ternarized(%x: tensor<3x24xf32>) -> tensor<3x16xf32> {",
        f"  %w = arith.constant dense<{literal(w)}> : tensor<24x16xf32>",
        "  %z = arith.constant dense<0.0> : tensor<3x16xf32>",
        "  %y = linalg.matmul ins(%x, %w : tensor<3x24xf32>, tensor<24x16xf32>) "
        "outs(%z : tensor<3x16xf32>) -> tensor<3x16xf32>",
        "  return %y : tensor<3x16xf32>", "}"])
    sw = np.float32(1.0 / max(np.abs(w.astype(np.float64)).mean(), 1e-5))
    t = np.clip(np.round(w * sw), -1, 1)
    out.append(Case("ternarize_float_weights", mlir, "ternarized", [x],
                    [(x.astype(np.float64) @ t) / np.float64(sw)], tol=1e-6,
                    flags=["--ternarize-float-weights"]))
    return out


def check(case, work, bindir):
    d = os.path.join(work, case.name)
    os.makedirs(d, exist_ok=True)
    graph = os.path.join(d, "graph.mlir")
    with open(graph, "w") as f:
        f.write(case.mlir + "\n")
    ternc = os.path.join(bindir, "ternc")
    eliminated = run([ternc, graph, "--quiet", "--compile-to=eliminate-matmul", *case.flags])
    for op in CONTRACTIONS:
        if op in eliminated:
            sys.exit(f"FAIL: {case.name}: {op} is still there after tern-eliminate-matmul\n{eliminated}")
    if "tern.ternary_accumulate" not in eliminated:
        sys.exit(f"FAIL: {case.name}: no tern.ternary_accumulate after tern-eliminate-matmul")
    artifact = os.path.join(d, "graph.tern")
    run([ternc, graph, "-o", artifact, "--quiet", *case.flags])
    inputs = []
    for i, a in enumerate(case.inputs):
        path = os.path.join(d, f"in{i}.npy")
        np.save(path, a)
        inputs += ["--input", path]
    outdir = os.path.join(d, "out")
    run([os.path.join(bindir, "tern-run"), artifact, "--function", case.function, *inputs,
         "--output-dir", outdir])
    worst = 0.0
    for i, want in enumerate(case.expected):
        got = np.load(os.path.join(outdir, f"{i}.npy"))
        if got.shape != want.shape:
            sys.exit(f"FAIL: {case.name}: result {i} has shape {got.shape}, expected {want.shape}")
        if np.issubdtype(want.dtype, np.integer):
            if got.dtype != want.dtype or not np.array_equal(got, want):
                sys.exit(f"FAIL: {case.name}: result {i} differs from NumPy's integer result")
            continue
        err = float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))
        worst = max(worst, err)
        if err > case.tol:
            sys.exit(f"FAIL: {case.name}: result {i} relative L2 {err:.3e} > {case.tol}")
    print(f"OK {case.name} (relative L2 {worst:.1e})")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", required=True, help="scratch directory")
    p.add_argument("--bin", required=True, help="directory with ternc and tern-run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", help="run only the case with this name")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    for case in cases(np.random.default_rng(args.seed)):
        if args.only in (None, case.name):
            check(case, args.work, args.bin)


if __name__ == "__main__":
    main()
