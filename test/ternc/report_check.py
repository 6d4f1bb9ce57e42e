#!/usr/bin/python3
"""Checks `ternc MODEL --report=json --packing two_bit` against counts made here from the
checkpoint alone, with NumPy and the reference ternarization (examples/reference):

per projection (W [N, K] -> trits by absmean), per token:
  parameters = N*K, packed bytes = N*ceil(K/4) (two_bit), adds/subtracts = non-zero trits,
  multiplications = (K + 1) for tern.quantize + 2N for tern.dequantize, dense ones = N*K,
  bytes read = packed + K (int8 activations), dense = 4*(N*K + K),
  energy = adds*0.1 + mults*3.7 + bytes/4*640 pJ; dense = N*K*(3.7 + 0.9) + dense bytes/4*640.
Layers group model.layers.N.*; lm_head stands alone. Prints "OK" or exits with "FAIL: ...".
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "reference"))
import safetensors_np  # noqa: E402
import tern_reference  # noqa: E402

PROJECTIONS = ["attn.i_proj", "attn.f_proj", "attn.g_proj", "attn.o_proj", "mlp.gate_proj",
               "mlp.down_proj"]


def expected(ck, name):
    W = ck.get(name + ".weight").astype(np.float32)
    n, k = W.shape
    trits, _ = tern_reference.ternarize(W)
    adds = int(np.count_nonzero(trits))
    packed = n * ((k + 3) // 4)
    mults = (k + 1) + 2 * n
    read = packed + k
    dense_read = 4 * (n * k + k)
    return {
        "parameters": n * k, "packed_bytes": packed, "adds_subtracts": adds,
        "multiplications": mults, "dense_multiplications": n * k,
        "multiplications_eliminated": n * k - mults, "bytes_read": read,
        "dense_bytes_read": dense_read,
        "energy_pj": adds * 0.1 + mults * 3.7 + read / 4 * 640,
        "dense_energy_pj": n * k * (3.7 + 0.9) + dense_read / 4 * 640,
    }


def compare(what, got, want):
    for key, value in want.items():
        ok = abs(got[key] - value) <= 0.05 + 1e-9 * abs(value) if key.endswith("_pj") \
            else got[key] == value
        if not ok:
            sys.exit(f"FAIL: {what}: {key} is {got[key]}, expected {value}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model")
    p.add_argument("report", help="the output of ternc --report=json")
    args = p.parse_args()
    with open(os.path.join(args.model, "config.json")) as f:
        layers = json.load(f)["num_hidden_layers"]
    with open(args.report) as f:
        report = json.load(f)
    ck = safetensors_np.open_checkpoint(args.model)
    names = [f"model.layers.{i}.{p}" for i in range(layers) for p in PROJECTIONS] + ["lm_head"]
    got = {p["name"]: p for layer in report["layers"] for p in layer["projections"]}
    if sorted(got) != sorted(names):
        sys.exit(f"FAIL: projections {sorted(got)}, expected {sorted(names)}")
    total = {}
    for name in names:
        want = expected(ck, name)
        if got[name]["kind"] != "ternary":
            sys.exit(f"FAIL: {name} is {got[name]['kind']}, expected ternary")
        compare(name, got[name], want)
        for key, value in want.items():
            total[key] = total.get(key, 0) + value
    layer_names = [layer["name"] for layer in report["layers"]]
    if layer_names != [f"model.layers.{i}" for i in range(layers)] + ["lm_head"]:
        sys.exit(f"FAIL: layers {layer_names}")
    compare("total", report["total"], total)
    print(f"OK {len(names)} projections, {total['adds_subtracts']} adds/subtracts, "
          f"{total['multiplications_eliminated']} multiplications eliminated per token")


if __name__ == "__main__":
    main()
