#!/usr/bin/python3
"""Minimal safetensors reader/writer in pure NumPy (no torch, no safetensors package).

File format (https://github.com/huggingface/safetensors):
    [8 bytes: little-endian u64 N][N bytes: JSON header][raw tensor bytes]
The header maps tensor name -> {"dtype", "shape", "data_offsets": [begin, end]} with offsets
relative to the start of the raw byte buffer; an optional "__metadata__" maps str -> str.
All data is little-endian, row-major.

bfloat16 has no NumPy dtype: it is handled as uint16 holding the top half of the fp32 bits.

Reading API
    SafetensorsFile(path)            one file, memory-mapped, tensors fetched lazily
    open_checkpoint(model_dir)       a Hugging Face directory (single file or sharded index)
  Both offer keys(), info(name) -> (dtype, shape), raw(name) (stored representation; bf16 as
  uint16) and get(name) (float types converted to float32).

Writing API
    save_file(tensors, path, metadata=None)   small dicts held in memory
    StreamingWriter(path, specs, metadata)    header first, then tensors streamed in order
  Tensors passed for writing are either NumPy arrays of a supported dtype, or a (dtype_str,
  array) pair such as ("BF16", uint16_array) to write raw bf16 bits.
"""

import json
import os
import struct

import numpy as np

# safetensors dtype string -> NumPy dtype used to hold the stored bytes (little-endian).
_DTYPES = {
    "BF16": np.dtype("<u2"),  # raw bf16 bits
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
    "BOOL": np.dtype("?"),
}
_FLOAT_DTYPES = ("BF16", "F16", "F32", "F64")

# NumPy dtype -> safetensors dtype string (for plain arrays passed to the writers; uint16 is
# written as U16: bf16 must be requested explicitly with a ("BF16", array) pair).
_NP_TO_ST = {
    np.dtype("float16"): "F16",
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("int16"): "I16",
    np.dtype("uint16"): "U16",
    np.dtype("int32"): "I32",
    np.dtype("uint32"): "U32",
    np.dtype("int64"): "I64",
    np.dtype("uint64"): "U64",
    np.dtype("bool"): "BOOL",
}


def dtype_size(dtype_str):
    return _DTYPES[dtype_str].itemsize


# ----------------------------------------------------------------------------- bf16 helpers

def bf16_bits_to_f32(bits):
    """uint16 bf16 bits (any shape) -> float32 (exact: bf16 is the top half of fp32)."""
    bits = np.asarray(bits, dtype=np.uint16)
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def f32_to_bf16_bits(x):
    """float32 -> uint16 bf16 bits with round-to-nearest-even (torch's .to(bfloat16)).

    Overflow rounds to +-inf as IEEE requires; NaN stays a (quiet) NaN with its sign."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32)
    # Adding 0x7FFF plus the lowest kept bit and truncating is RNE: ties go to the even bf16.
    rounded = u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))
    out = (rounded >> np.uint32(16)).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        # The add above could carry a NaN's payload into the exponent/sign: rebuild it.
        out[nan] = ((u[nan] >> np.uint32(16)) | np.uint32(0x0040)).astype(np.uint16)
    return out


def _c_contiguous(a):
    # Not np.ascontiguousarray: in NumPy < 2 it turns a 0-d scalar tensor into shape (1,).
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _as_stored(value):
    """Normalise a tensor given to a writer into (dtype_str, contiguous little-endian array)."""
    if isinstance(value, tuple):
        dtype_str, arr = value
        if dtype_str not in _DTYPES:
            raise ValueError("unsupported safetensors dtype %r" % (dtype_str,))
        arr = _c_contiguous(arr)
        if arr.dtype.itemsize != dtype_size(dtype_str):
            raise ValueError("array of dtype %s cannot hold %s data" % (arr.dtype, dtype_str))
        return dtype_str, arr.astype(_DTYPES[dtype_str], copy=False)
    arr = _c_contiguous(value)
    native = np.dtype(arr.dtype.type)  # drops any byte order
    if native not in _NP_TO_ST:
        raise ValueError("unsupported array dtype %s" % arr.dtype)
    dtype_str = _NP_TO_ST[native]
    return dtype_str, arr.astype(_DTYPES[dtype_str], copy=False)


# ----------------------------------------------------------------------------- reading

class SafetensorsFile:
    """One .safetensors file, memory-mapped read-only; tensors are views created on demand."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) != 8:
                raise ValueError("%s: too short for a safetensors file" % path)
            (n,) = struct.unpack("<Q", head)
            file_size = os.fstat(f.fileno()).st_size
            if n > file_size - 8:
                raise ValueError("%s: header length %d exceeds file size" % (path, n))
            header = json.loads(f.read(n).decode("utf-8"))
        self.metadata = header.pop("__metadata__", None) or {}
        self.header = header
        self.data_start = 8 + n
        data_len = file_size - self.data_start
        for name, ent in header.items():
            if ent["dtype"] not in _DTYPES:
                raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, ent["dtype"]))
            begin, end = ent["data_offsets"]
            count = int(np.prod(ent["shape"], dtype=np.int64))
            if end - begin != count * dtype_size(ent["dtype"]) or end > data_len or begin < 0:
                raise ValueError("%s: tensor %s has inconsistent data_offsets" % (path, name))
        # One map of the whole file; np.memmap refuses zero-length maps, hence the guard.
        self._mm = np.memmap(path, dtype=np.uint8, mode="r") if file_size > 0 else None

    def keys(self):
        return list(self.header.keys())

    def __contains__(self, name):
        return name in self.header

    def info(self, name):
        ent = self.header[name]
        return ent["dtype"], tuple(ent["shape"])

    def raw(self, name):
        """The stored data as a read-only view (bf16 as uint16 bits)."""
        ent = self.header[name]
        begin, end = ent["data_offsets"]
        dt = _DTYPES[ent["dtype"]]
        buf = self._mm[self.data_start + begin:self.data_start + end]
        return buf.view(dt).reshape(ent["shape"])

    def get(self, name):
        """Float tensors as a new float32 array; integer tensors returned as stored."""
        dtype_str = self.header[name]["dtype"]
        arr = self.raw(name)
        if dtype_str == "BF16":
            return bf16_bits_to_f32(arr)
        if dtype_str in _FLOAT_DTYPES:
            return arr.astype(np.float32)
        return np.array(arr)


class Checkpoint:
    """A Hugging Face model directory: `model.safetensors`, or shards listed by
    `model.safetensors.index.json` ({"weight_map": {tensor: file}}). `config` is config.json."""

    def __init__(self, model_dir):
        self.model_dir = model_dir
        cfg_path = os.path.join(model_dir, "config.json")
        self.config = None
        if os.path.exists(cfg_path):
            with open(cfg_path) as f:
                self.config = json.load(f)
        single = os.path.join(model_dir, "model.safetensors")
        index = os.path.join(model_dir, "model.safetensors.index.json")
        self._files = {}
        self._where = {}
        if os.path.exists(single):
            st = SafetensorsFile(single)
            self._files["model.safetensors"] = st
            self._where = {k: "model.safetensors" for k in st.keys()}
        elif os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f)["weight_map"]
            for name, fname in weight_map.items():
                if fname not in self._files:
                    self._files[fname] = SafetensorsFile(os.path.join(model_dir, fname))
                if name not in self._files[fname]:
                    raise ValueError("index says %s is in %s, but it is not" % (name, fname))
                self._where[name] = fname
        else:
            raise FileNotFoundError(
                "%s: neither model.safetensors nor model.safetensors.index.json" % model_dir)

    def _file(self, name):
        try:
            return self._files[self._where[name]]
        except KeyError:
            raise KeyError("tensor %s not in checkpoint %s" % (name, self.model_dir)) from None

    def keys(self):
        return list(self._where.keys())

    def __contains__(self, name):
        return name in self._where

    def info(self, name):
        return self._file(name).info(name)

    def raw(self, name):
        return self._file(name).raw(name)

    def get(self, name):
        return self._file(name).get(name)


def open_checkpoint(model_dir):
    return Checkpoint(model_dir)


def load_file(path):
    """Read every tensor of one file into a dict of float32 (float types) arrays."""
    st = SafetensorsFile(path)
    return {k: st.get(k) for k in st.keys()}


# ----------------------------------------------------------------------------- writing

def _build_header(specs, metadata):
    """specs: list of (name, dtype_str, shape) in data order. Returns (header bytes incl. the
    8-byte length, total data bytes). The JSON is space-padded so the data starts 8-aligned."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, dtype_str, shape in specs:
        if name in header:
            raise ValueError("duplicate tensor name %s" % name)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype_size(dtype_str)
        header[name] = {"dtype": dtype_str, "shape": [int(s) for s in shape],
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * ((-(8 + len(blob))) % 8)
    return struct.pack("<Q", len(blob)) + blob, offset


class StreamingWriter:
    """Write a safetensors file without holding all tensors: the header (with offsets computed
    from `specs` = [(name, dtype_str, shape), ...]) goes first, then `write(name, data)` must be
    called for each tensor in spec order; a tensor may be written in several row chunks by
    calling `write` repeatedly with consecutive pieces. `close()` checks everything arrived."""

    def __init__(self, path, specs, metadata=None):
        self.path = path
        self.specs = [(n, d, tuple(s)) for n, d, s in specs]
        head, self.total = _build_header(self.specs, metadata)
        self._f = open(path, "wb")
        self._f.write(head)
        self._idx = 0          # current tensor in specs
        self._done = 0         # bytes of the current tensor already written

    def write(self, name, data):
        self._skip_empty(name)
        if self._idx >= len(self.specs):
            raise ValueError("all tensors already written; got %s" % name)
        exp_name, exp_dtype, shape = self.specs[self._idx]
        if name != exp_name:
            raise ValueError("expected tensor %s next, got %s" % (exp_name, name))
        dtype_str, arr = _as_stored(data)
        if dtype_str != exp_dtype:
            raise ValueError("%s: declared %s, given %s" % (name, exp_dtype, dtype_str))
        need = int(np.prod(shape, dtype=np.int64)) * dtype_size(exp_dtype)
        if arr.size:
            self._f.write(arr.reshape(-1).view(np.uint8).data)
        self._done += arr.nbytes
        if self._done > need:
            raise ValueError("%s: more data than its shape %s holds" % (name, shape))
        if self._done == need:
            self._idx += 1
            self._done = 0

    def _skip_empty(self, name=None):
        """Zero-size tensors need no write call: step over them (unless one is being written)."""
        while (self._idx < len(self.specs) and not self._done and self.specs[self._idx][0] != name
               and int(np.prod(self.specs[self._idx][2], dtype=np.int64)) == 0):
            self._idx += 1

    def close(self):
        self._skip_empty()
        self._f.close()
        if self._idx != len(self.specs) or self._done:
            raise ValueError("%s: closed before all tensors were written" % self.path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._f.close()


def save_file(tensors, path, metadata=None):
    """tensors: dict name -> array or (dtype_str, array). Written in the dict's order."""
    stored = {k: _as_stored(v) for k, v in tensors.items()}
    specs = [(k, d, a.shape) for k, (d, a) in stored.items()]
    with StreamingWriter(path, specs, metadata) as w:
        for k, (d, a) in stored.items():
            w.write(k, (d, a))
