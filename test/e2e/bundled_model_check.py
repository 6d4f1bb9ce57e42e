#!/usr/bin/python3
"""End-to-end checks of the bundled trained model (examples/models/default) through ternc and
tern-run (test/e2e/bundled-model.test):

  * ternc stores the checkpoint's tokenizer.model in the artifact (docs/artifact.md);
  * tern-run's perplexity on the held-out prefix matches the PyTorch model's (eval.json, measured
    in the spec's inference numerics) within 1%;
  * -p streams exactly the text of the ids that --tokens/--max-new-tokens generate (greedy), with
    the prompt tokenized as Debian's spm_encode does, and stops at EOS;
  * --seed reproduces a sampled continuation, another seed changes it;
  * -i keeps the recurrent state between turns: each turn equals the id-mode run over the whole
    conversation so far;
  * ternc --emit=exe builds one executable that does the same without the .tern file.
Prints one line per check and OK at the end; exits non-zero on the first failure.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys

BOS, EOS = 1, 2
GREEDY = ["--temperature", "0", "--repeat-penalty", "1"]


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAILED: %s\n(exit %d)\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def check(ok, what):
    if not ok:
        sys.exit("FAILED: " + what)


class Spm:
    """Debian's spm_encode / spm_decode on the model's tokenizer.model."""

    def __init__(self, model):
        for tool in ("spm_encode", "spm_decode"):
            check(shutil.which(tool), tool + " not found (apt-get install sentencepiece)")
        self.model = model

    def encode(self, text):
        out = run(["spm_encode", "--model=" + self.model, "--output_format=id"], text + "\n").stdout
        return [int(t) for t in out.split()]

    def decode(self, ids):
        # spm_decode drops control ids (BOS, EOS) as the runtime's decoder does.
        out = run(["spm_decode", "--model=" + self.model, "--input_format=id"],
                  " ".join(map(str, ids)) + "\n").stdout
        return out[:-1] if out.endswith("\n") else out

    def continuation(self, context, generated):
        """The text tern-run streams for `generated` after `context`: decode(all) - decode(context)."""
        before = self.decode(context)
        after = self.decode(context + generated)
        check(after.startswith(before), "decode(context) is not a prefix of decode(context + ids)")
        return after[len(before):]


def generate_ids(tern_run, model, ids, n):
    out = run([tern_run, model, "--tokens", ",".join(map(str, ids)), "--max-new-tokens", str(n)]).stdout
    return [int(t) for t in out.strip().split(",")] if n else []


def until_eos(ids):
    """Ids up to and including the first EOS (what a text-mode turn consumes)."""
    return ids[:ids.index(EOS) + 1] if EOS in ids else ids


def read_manifest(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"TERNART\0", path + ": not an artifact")
    moff, msize = struct.unpack_from("<QQ", data, 16)
    woff, _ = struct.unpack_from("<QQ", data, 48)
    return json.loads(data[moff:moff + msize]), data, woff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ternc, tern_run = os.path.join(args.bin, "ternc"), os.path.join(args.bin, "tern-run")
    tokenizer_file = os.path.join(args.model, "tokenizer.model")
    spm = Spm(tokenizer_file)
    artifact = os.path.join(args.work, "model.tern")

    # --- the artifact carries the tokenizer ---------------------------------------------------
    run([ternc, args.model, "-o", artifact, "--quiet"])
    manifest, data, woff = read_manifest(artifact)
    tok = manifest["tokenizer"]
    with open(tokenizer_file, "rb") as f:
        expected = f.read()
    check(tok["format"] == "sentencepiece" and tok["bytes"] == len(expected) and
          data[woff + tok["offset"]:woff + tok["offset"] + tok["bytes"]] == expected,
          "the artifact's tokenizer is not tokenizer.model: %r" % tok)
    print("tokenizer: %d bytes at weights+%d" % (tok["bytes"], tok["offset"]))

    # --- perplexity against the PyTorch model -------------------------------------------------
    with open(os.path.join(args.model, "eval.json")) as f:
        pytorch = json.load(f)["test_prefix_perplexity"]
    out = run([tern_run, artifact, "--ppl", os.path.join(args.model, "heldout-prefix.ids")]).stdout
    ours = float(re.match(r"perplexity: ([0-9.]+) \(1023 tokens\)", out).group(1))
    rel = abs(ours - pytorch) / pytorch
    print("perplexity: tern-run %.4f, PyTorch %.4f, relative difference %.2e" % (ours, pytorch, rel))
    check(rel < 0.01, "perplexities differ by more than 1%")

    # --- -p streams the text of the generated ids ---------------------------------------------
    prompt = "Life is"
    context = [BOS] + spm.encode(prompt)
    ids = until_eos(generate_ids(tern_run, artifact, context, 24))
    expected = prompt + spm.continuation(context, [t for t in ids if t != EOS]) + "\n"
    text = run([tern_run, artifact, "-p", prompt, "-n", "24"] + GREEDY)
    check(text.stdout == expected, "-p printed %r, the ids decode to %r" % (text.stdout, expected))
    # Every generated token but the last (the 24th, or EOS) is fed back through decode.
    check(re.search(r"; prompt %d tokens .*; decode %d tokens" % (len(context), len(ids) - 1),
                    text.stderr), "stats line: " + text.stderr)
    greedy_text = text.stdout
    print("-p greedy: %r" % greedy_text.strip())

    # --- EOS ends the text --------------------------------------------------------------------
    ids = generate_ids(tern_run, artifact, [BOS], 200)
    check(EOS in ids, "no EOS in 200 greedy tokens from BOS (cannot check the stop)")
    text = run([tern_run, artifact, "-p", "", "-n", "200"] + GREEDY)
    check("; decode %d tokens" % ids.index(EOS) in text.stderr,
          "-p \"\" did not stop at the EOS at %d: %s" % (ids.index(EOS), text.stderr))
    check(text.stdout == spm.decode(ids[:ids.index(EOS)]) + "\n", "-p \"\" text: %r" % text.stdout)
    print("stops at EOS after %d tokens" % ids.index(EOS))

    # --- seeds ---------------------------------------------------------------------------------
    sampled = [run([tern_run, artifact, "-p", "The", "-n", "40", "--seed", s]).stdout for s in ("7", "7", "8")]
    check(sampled[0] == sampled[1], "--seed 7 twice gave %r and %r" % tuple(sampled[:2]))
    check(sampled[0] != sampled[2], "--seed 7 and --seed 8 gave the same text")
    print("--seed 7: %r" % sampled[0].strip())

    # --- -i keeps the state between turns -------------------------------------------------------
    lines = ["The cat", "Why"]
    expected, history, pending = [], [], []
    for i, line in enumerate(lines):
        fed = pending + ([BOS] if i == 0 or pending == [EOS] else []) + spm.encode(line)
        ids = until_eos(generate_ids(tern_run, artifact, history + fed, 8))
        expected.append(spm.continuation(fed, [t for t in ids if t != EOS]) + "\n")
        # The turn's last token (the 8th, or EOS) is fed at the start of the next turn.
        history, pending = history + fed + ids[:-1], ids[-1:]
    talk = run([tern_run, artifact, "-i", "-n", "8"] + GREEDY, "\n".join(lines) + "\n").stdout
    check(talk == "".join(expected), "-i printed %r, expected %r" % (talk, "".join(expected)))
    print("-i: %r" % talk)

    # --- ternc --emit=exe -------------------------------------------------------------------------
    exe = os.path.join(args.work, "mymodel")
    run([ternc, args.model, "--emit=exe", "-o", exe, "--quiet"])
    check(not os.path.exists(exe + ".tern.partial"), "--emit=exe left its temporary artifact")
    os.remove(artifact)  # the executable needs nothing else
    text_exe = run([exe, "-p", prompt, "-n", "24"] + GREEDY).stdout
    check(text_exe == greedy_text, "the executable printed %r, tern-run %r" % (text_exe, greedy_text))
    talk_exe = run([exe, "-n", "8"] + GREEDY, "\n".join(lines) + "\n").stdout
    check(talk_exe == talk, "the executable (interactive by default) printed %r, tern-run -i %r" %
          (talk_exe, talk))
    print("--emit=exe: %d bytes, same text as tern-run" % os.path.getsize(exe))
    for bad, message in ((["--emit=dll"], "unknown --emit 'dll'"),
                         (["--emit=exe", "--compile-to=import"], "--emit=exe needs --target=host")):
        r = subprocess.run([ternc, args.model, "-o", exe + "2"] + bad, capture_output=True, text=True)
        check(r.returncode == 1 and message in r.stderr and not os.path.exists(exe + "2"),
              "ternc %s: exit %d, %r" % (" ".join(bad), r.returncode, r.stderr))
    print("OK")


if __name__ == "__main__":
    main()
