#!/usr/bin/python3
"""Writes a small checkpoint with one defect, for ternc's error tests.

Usage: make_bad_checkpoint.py KIND OUT_DIR
KIND: short-conv, truncated, header-past-end, unknown-dtype, wrong-shape,
      missing-tensor, extra-tensor, overlap, bad-json
"""
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def header_and_data(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write(path, header, data):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    subprocess.check_call([sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"),
                           out, "--hidden-size", "16", "--layers", "1", "--vocab", "20", "--seed", "1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    weights = os.path.join(out, "model.safetensors")
    config_path = os.path.join(out, "config.json")
    header, data = header_and_data(weights)
    if kind == "short-conv":
        config = json.load(open(config_path))
        config["use_short_conv"] = True
        json.dump(config, open(config_path, "w"))
    elif kind == "bad-json":
        open(config_path, "w").write('{"model_type": "hgrn_bit", "hidden_size": 16,')
    elif kind == "truncated":
        with open(weights, "r+b") as f:
            f.truncate(os.path.getsize(weights) - 100)
    elif kind == "header-past-end":
        with open(weights, "r+b") as f:
            f.write(struct.pack("<Q", 1 << 40))
    elif kind == "unknown-dtype":
        header["model.norm.weight"]["dtype"] = "Q4_K"
        write(weights, header, data)
    elif kind == "wrong-shape":
        header["model.layers.0.attn.i_proj.weight"]["shape"] = [8, 32]
        write(weights, header, data)
    elif kind == "missing-tensor":
        del header["model.layers.0.mlp.down_proj.weight"]
        write(weights, header, data)
    elif kind == "extra-tensor":
        header["model.layers.0.attn.q_proj.weight"] = {
            "dtype": "F32", "shape": [8], "data_offsets": [len(data), len(data) + 32]}
        write(weights, header, data + bytes(32))
    elif kind == "overlap":
        begin, end = header["model.norm.weight"]["data_offsets"]
        other = header["lm_head.norm.weight"]
        other["data_offsets"] = [begin, begin + (other["data_offsets"][1] - other["data_offsets"][0])]
        write(weights, header, data)
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
