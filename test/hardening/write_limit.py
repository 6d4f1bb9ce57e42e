#!/usr/bin/python3
"""Prints a file size limit, in KiB for `ulimit -f`, that stops ternc in the middle of writing
ARTIFACT again: above everything written before it (the code; ternc's temporary object and shared
object are no larger) and halfway through the weights section.

Usage: write_limit.py ARTIFACT
"""
import struct
import sys

data = open(sys.argv[1], "rb").read()
_, _, _, _, _, code_offset, code_size, weights_offset, weights_size = \
    struct.unpack_from("<8sII6Q", data)
limit = (weights_offset + weights_size // 2) // 1024
if limit * 1024 <= code_offset + code_size or weights_size < 8192:
    sys.exit("write_limit.py: the weights section is too small to stop the write inside it")
print(limit)
