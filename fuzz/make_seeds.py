#!/usr/bin/python3
"""Writes the seed corpora fuzz/corpus/<target>/ (small files, checked in).

Usage: fuzz/make_seeds.py [CORPUS_DIR]   (default: fuzz/corpus next to this script)

Each seed is a valid input or one defect away from one, so that the fuzzers
start next to the code paths that matter. Rerunning it rewrites the seeds
(named seed-*); inputs saved from fuzzing runs (crash regressions, named
regress-*) are left alone.
"""
import json
import os
import re
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def put(corpus, target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def model_config(corpus):
    released = {"model_type": "hgrn_bit", "hidden_size": 1024, "num_hidden_layers": 24,
                "vocab_size": 32000, "intermediate_size": None, "hidden_ratio": 4,
                "num_heads": 1, "expand_ratio": 1, "bos_token_id": 1, "eos_token_id": 2,
                "rms_norm_eps": 1e-6, "use_lower_bound": True, "use_short_conv": False,
                "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    put(corpus, "model-config", "released.json", json.dumps(released, indent=2))
    put(corpus, "model-config", "minimal.json",
        '{"model_type": "hgrn_bit", "hidden_size": 16, "num_hidden_layers": 1, "vocab_size": 20}')
    put(corpus, "model-config", "limits.json", json.dumps(
        {"model_type": "hgrn_bit", "hidden_size": 65536, "num_hidden_layers": 1024,
         "vocab_size": 4194304, "hidden_ratio": 16}))
    put(corpus, "model-config", "truncated.json", '{"model_type": "hgrn_bit", "hidden_size": 16,')


def safetensors_bytes(tensors, metadata=None):
    """tensors: [(name, dtype, shape)]; data is zeros."""
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape in tensors:
        n = {"BF16": 2, "F16": 2, "F32": 4}[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + bytes(range(256)) * (offset // 256) + bytes(offset % 256)


def safetensors(corpus):
    put(corpus, "safetensors", "three-dtypes.safetensors", safetensors_bytes(
        [("a", "BF16", [2, 3]), ("b", "F16", [4]), ("c", "F32", [2, 2]), ("empty", "F32", [0, 5])],
        {"format": "pt"}))
    put(corpus, "safetensors", "scalar.safetensors", safetensors_bytes([("s", "F32", [])]))
    put(corpus, "safetensors", "empty-header.safetensors", struct.pack("<Q", 2) + b"{}")


def expected_tensors(hidden, layers, vocab, inter):
    """Checkpoint::expectedTensors (model-spec.md) for use_lower_bound = true."""
    out = [("model.embeddings.weight", [vocab, hidden]), ("model.lower_bounds", [layers, hidden])]
    for l in range(layers):
        p = "model.layers.%d." % l
        out.append((p + "attn_norm.weight", [hidden]))
        for proj in ("i", "f", "g", "o"):
            out.append((p + "attn.%s_proj.weight" % proj, [hidden, hidden]))
            out.append((p + "attn.%s_proj.norm.weight" % proj, [hidden]))
        out.append((p + "attn.g_norm.weight", [hidden]))
        out.append((p + "mlp_norm.weight", [hidden]))
        out.append((p + "mlp.gate_proj.weight", [2 * inter, hidden]))
        out.append((p + "mlp.gate_proj.norm.weight", [hidden]))
        out.append((p + "mlp.down_proj.weight", [hidden, inter]))
        out.append((p + "mlp.down_proj.norm.weight", [inter]))
    out += [("model.norm.weight", [hidden]), ("lm_head.weight", [vocab, hidden]),
            ("lm_head.norm.weight", [hidden])]
    return out


def shard_index(corpus):
    # Matches the fixture in shard_index_fuzzer.cpp: H=4, L=1, V=8, I=4; tensor i in shard i % 2.
    shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    names = [n for n, _ in expected_tensors(4, 1, 8, 4)]
    index = {"metadata": {"total_size": 0},
             "weight_map": {n: shards[i % 2] for i, n in enumerate(names)}}
    put(corpus, "shard-index", "fixture.json", json.dumps(index, indent=1))
    put(corpus, "shard-index", "outside.json", json.dumps(
        {"weight_map": {"model.norm.weight": "../model.safetensors"}}))


def manifest(code, weights, **overrides):
    m = {"format_version": 1, "producer": "make_seeds.py", "kind": "hgrn_bit", "abi": "memref-v1",
         "model": {"hidden_size": 4, "num_hidden_layers": 2, "vocab_size": 8,
                   "bos_token_id": 1, "eos_token_id": None},
         "entry_points": {"prefill": "_mlir_ciface_tern_prefill",
                          "decode": "_mlir_ciface_tern_decode"},
         "state": {"shape": [2, 4], "dtype": "f32"},
         "checksums": {"algorithm": "crc32", "code": "0x%08x" % zlib.crc32(code),
                       "weights": "0x%08x" % zlib.crc32(weights)}}
    m.update(overrides)
    return json.dumps(m, indent=2) + "\n"


def artifact_bytes(code, weights, manifest_text):
    mtext = manifest_text.encode()
    code_offset = (64 + len(mtext) + 63) // 64 * 64
    weights_offset = (code_offset + len(code) + 4095) // 4096 * 4096
    header = b"TERNART\0" + struct.pack("<II6Q", 1, 64, 64, len(mtext), code_offset, len(code),
                                        weights_offset, len(weights))
    out = bytearray(header + mtext)
    out += bytes(code_offset - len(out)) + code
    out += bytes(weights_offset - len(out)) + weights
    return bytes(out)


def artifact(corpus):
    code = b"\x7fELF" + bytes(range(60))
    weights = bytes(range(32))
    put(corpus, "artifact", "valid.tern", artifact_bytes(code, weights, manifest(code, weights)))
    put(corpus, "artifact", "no-weights.tern", artifact_bytes(code, b"", manifest(code, b"")))
    put(corpus, "artifact-manifest", "valid.json", manifest(code, weights))
    put(corpus, "artifact-manifest", "wrong-version.json", manifest(code, weights, format_version=2))
    put(corpus, "artifact-manifest", "other-abi.json", manifest(code, weights, abi="memref-v2"))


def npy_bytes(descr, shape, data, major=1):
    shape_text = "(" + "".join("%d, " % d for d in shape).rstrip(" ") + ")"
    if len(shape) > 1:
        shape_text = shape_text.replace(",)", ")")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    prefix = 10 if major == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header.encode() + data


def npy(corpus):
    put(corpus, "npy", "f32-2x3.npy", npy_bytes("<f4", [2, 3], struct.pack("<6f", *range(6))))
    put(corpus, "npy", "i32-vector.npy", npy_bytes("<i4", [4], struct.pack("<4i", 5, 17, 42, -1)))
    put(corpus, "npy", "i64-scalar-v2.npy", npy_bytes("<i8", [], struct.pack("<q", 7), major=2))
    put(corpus, "npy", "empty-v3.npy", npy_bytes("<f4", [0, 3], b"", major=3))


def token_ids(corpus):
    put(corpus, "token-ids", "commas", "5,17,42")
    put(corpus, "token-ids", "lines", "1 2 3\n4\t5, 6,\n7 ,8\n")
    put(corpus, "token-ids", "signs-and-limits", "+0 -1 9223372036854775807 -9223372036854775808")


def mlir(corpus):
    """Every function and split-input case of the dialect's lit tests."""
    sources = ["test/Dialect/Tern/ops.mlir", "test/Dialect/Tern/invalid.mlir",
               "test/Dialect/Tern/fold.mlir", "test/Transforms/ternarize.mlir",
               "test/Transforms/eliminate-matmul.mlir", "test/Transforms/pack-weights.mlir"]
    for source in sources:
        text = open(os.path.join(ROOT, source)).read()
        stem = os.path.splitext(os.path.basename(source))[0]
        for i, case in enumerate(re.split(r"^// -----$", text, flags=re.M)):
            lines = [l for l in case.splitlines() if not l.lstrip().startswith("//")]
            body = "\n".join(lines).strip() + "\n"
            if body.strip():
                put(corpus, "mlir", "%s-%02d.mlir" % (stem, i), body)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for folder in os.listdir(corpus) if os.path.isdir(corpus) else []:
        for name in os.listdir(os.path.join(corpus, folder)):
            if name.startswith("seed-"):
                os.remove(os.path.join(corpus, folder, name))
    for make in (model_config, safetensors, shard_index, artifact, npy, token_ids, mlir):
        make(corpus)


if __name__ == "__main__":
    main()
