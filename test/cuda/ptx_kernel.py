#!/usr/bin/python3
"""Prints the first kernel of a PTX file whose text matches a regular expression: from its
`.entry` line to the next kernel's. For FileCheck tests of one kind of kernel wherever the
backend places it in the module.

usage: ptx_kernel.py FILE.ptx REGEX"""
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, pattern = sys.argv[1], re.compile(sys.argv[2])
    with open(path) as f:
        kernels = re.split(r"(?=^\.visible \.entry )", f.read(), flags=re.M)[1:]
    for kernel in kernels:
        if pattern.search(kernel):
            sys.stdout.write(kernel)
            return
    sys.exit(f"{path}: no kernel matches {sys.argv[2]!r}")


if __name__ == "__main__":
    main()
