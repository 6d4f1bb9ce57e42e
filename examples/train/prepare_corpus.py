#!/usr/bin/env python3
"""Builds the bundled model's corpus from Debian's `fortunes` package.

Reads every fortune file under /usr/share/games/fortunes (packages `fortunes` and
`fortunes-min`; the offensive set lives elsewhere and is not read), splits them on the
`%` separator lines, joins each fortune's lines into one line of text (so every fortune
is one SentencePiece sentence and one training document), drops duplicates and fortunes
that are mostly not prose (ASCII art, tables), and splits the rest into train/held-out
into train / valid / held-out by a hash of the text, so the split does not depend on file
order or Python's hash seed. `valid` picks the checkpoint during training; `heldout` is
touched only for the reported perplexity.

Writes OUT/train.txt, OUT/valid.txt and OUT/heldout.txt, one fortune per line.
"""
import argparse
import hashlib
import os
import re
import sys

FORTUNE_DIR = "/usr/share/games/fortunes"
# Collections that are not English prose.
SKIP = {"ascii-art", "translate-me"}
MAX_CHARS = 1200


def fortunes_in(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for block in re.split(r"^%\s*$", text, flags=re.M):
        one_line = " ".join(block.split())
        if one_line:
            yield one_line


def is_prose(text):
    letters = sum(c.isalpha() or c == " " for c in text)
    return len(text) <= MAX_CHARS and letters >= 0.8 * len(text) and len(text.split()) >= 3


def split_of(text, heldout_percent, valid_percent):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:4], "little") % 100
    if bucket < heldout_percent:
        return "heldout"
    return "valid" if bucket < heldout_percent + valid_percent else "train"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output directory")
    parser.add_argument("--heldout-percent", type=int, default=5)
    parser.add_argument("--valid-percent", type=int, default=3)
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(FORTUNE_DIR)
                   if not n.endswith((".dat", ".u8")) and n not in SKIP
                   and os.path.isfile(os.path.join(FORTUNE_DIR, n)))
    if not names:
        sys.exit(f"no fortune files in {FORTUNE_DIR}: apt-get install fortunes fortunes-min")
    seen, splits = set(), {"train": [], "valid": [], "heldout": []}
    for name in names:
        for text in fortunes_in(os.path.join(FORTUNE_DIR, name)):
            if text in seen or not is_prose(text):
                continue
            seen.add(text)
            splits[split_of(text, args.heldout_percent, args.valid_percent)].append(text)
    os.makedirs(args.out, exist_ok=True)
    for split, rows in splits.items():
        with open(os.path.join(args.out, split + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    print(f"{len(names)} files; " + ", ".join(
        f"{split} {len(rows)} fortunes ({sum(map(len, rows))} chars)"
        for split, rows in splits.items()))


if __name__ == "__main__":
    main()
