#!/usr/bin/python3
"""Writes a copy of a .tern artifact with one defect, for the refusal tests.

Usage: corrupt_artifact.py KIND IN.tern OUT.tern
KIND (docs/artifact.md has the layout):
  empty, short-header, truncated      the file cut to 0 bytes, 40 bytes, or one byte short
  magic, version-2, header-size       a header field changed
  code-outside                        code_size so large the section runs off the file
  overlap                             the code section moved onto the manifest
  code-byte, weights-byte             one bit flipped inside a section (checksums no longer match)
  manifest-json                       the manifest's first byte is no longer '{'
  manifest-version                    the manifest says format_version 2
  manifest-abi                        the manifest names another ABI
  manifest-vocab                      model.vocab_size far above the limit
  manifest-state                      state.shape disagrees with model.*
  manifest-deep                       a member nested 100000 levels deep
The manifest kinds re-lay the file (offsets recomputed, checksums still right), so only the
manifest is at fault.
"""
import json
import struct
import sys

HEADER = struct.Struct("<8sII6Q")  # magic, version, header_size, then offset/size of 3 sections


def split(data):
    magic, version, header_size, m_off, m_size, c_off, c_size, w_off, w_size = \
        HEADER.unpack_from(data)
    return (data[m_off:m_off + m_size].decode(), data[c_off:c_off + c_size],
            data[w_off:w_off + w_size])


def assemble(manifest_text, code, weights):
    """Lays out an artifact as runtime/src/artifact_writer.cpp does."""
    manifest = manifest_text.encode()
    code_off = (64 + len(manifest) + 63) // 64 * 64
    weights_off = (code_off + len(code) + 4095) // 4096 * 4096
    out = bytearray(HEADER.pack(b"TERNART\0", 1, 64, 64, len(manifest), code_off, len(code),
                                weights_off, len(weights)))
    out += manifest
    out += bytes(code_off - len(out)) + code
    out += bytes(weights_off - len(out)) + weights
    return bytes(out)


def put(data, fmt, at, value):
    data = bytearray(data)
    struct.pack_into(fmt, data, at, value)
    return bytes(data)


def main():
    kind, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    fields = HEADER.unpack_from(data)
    m_off, c_off, c_size, w_off = fields[3], fields[5], fields[6], fields[7]
    manifest_text, code, weights = split(data)
    manifest = json.loads(manifest_text)

    if kind == "empty":
        data = b""
    elif kind == "short-header":
        data = data[:40]
    elif kind == "truncated":
        data = data[:-1]
    elif kind == "magic":
        data = b"NOTTERN\0" + data[8:]
    elif kind == "version-2":
        data = put(data, "<I", 8, 2)
    elif kind == "header-size":
        data = put(data, "<I", 12, 128)
    elif kind == "code-outside":
        data = put(data, "<Q", 40, 1 << 62)
    elif kind == "overlap":
        data = put(data, "<Q", 32, m_off + 8)
    elif kind == "code-byte":
        data = bytearray(data)
        data[c_off + c_size // 2] ^= 0x40
    elif kind == "weights-byte":
        data = bytearray(data)
        data[w_off + 5] ^= 0x01
    elif kind == "manifest-json":
        data = bytearray(data)
        data[m_off] = ord("x")
    elif kind.startswith("manifest-"):
        if kind == "manifest-version":
            manifest["format_version"] = 2
        elif kind == "manifest-abi":
            manifest["abi"] = "memref-v2"
        elif kind == "manifest-vocab":
            manifest["model"]["vocab_size"] = 1 << 40
        elif kind == "manifest-state":
            manifest["state"]["shape"] = manifest["state"]["shape"][::-1] + [1]
        elif kind == "manifest-deep":
            manifest_text = manifest_text.rstrip()[:-1] + ', "deep": ' + "[" * 100000 + "]" * 100000 + "}\n"
        else:
            sys.exit("unknown kind " + kind)
        if kind != "manifest-deep":
            manifest_text = json.dumps(manifest, indent=2) + "\n"
        data = assemble(manifest_text, code, weights)
    else:
        sys.exit("unknown kind " + kind)
    open(dst, "wb").write(bytes(data))


if __name__ == "__main__":
    main()
