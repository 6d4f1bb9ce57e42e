#!/usr/bin/python3
"""CPU benchmark of released model shapes: compile time and memory of ternc, and tern-run --bench.

    bench/cpu_bench.py [--work /tmp/tern-bench] [--presets 1.3b 2.7b] [--threads 1 2]
                       [--bin build/bin] [--repeat 1] [--packing two_bit_tiled]
                       [--no-compile] [--wait-idle]

For each preset it makes a seeded random checkpoint of that shape once
(examples/reference/make_random_checkpoint.py --preset P --seed 5), compiles it with
`/usr/bin/time -v ternc` (wall time, peak resident memory), and runs
`tern-run MODEL --bench --json --threads N` for each N. Prints one JSON object per run on stdout
(also appended to WORK/results.jsonl) and, at the end, the markdown tables of docs/performance.md.

Benchmarks are not tests: the numbers are what this machine did at the time (other processes share
it), so every run reports the decode rate next to the read ceiling measured in the same run.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def checkpoint(work, preset):
    path = os.path.join(work, "ckpt-" + preset)
    if not os.path.exists(os.path.join(path, "config.json")):
        subprocess.run([sys.executable, os.path.join(ROOT, "examples/reference/make_random_checkpoint.py"),
                        path, "--preset", preset, "--seed", "5"], check=True, stdout=sys.stderr)
    return path


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def artifact_sections(path):
    """(code bytes, weights bytes) from the 64-byte .tern header (docs/artifact.md)."""
    with open(path, "rb") as f:
        header = f.read(64)
    _, _, _, _, _, _, code_size, _, weights_size = struct.unpack("<8sIIQQQQQQ", header)
    return code_size, weights_size


def compile_model(bin_dir, ckpt, out, target, packing=None):
    """Runs ternc under /usr/bin/time -v; returns wall seconds and peak RSS bytes."""
    cmd = ["/usr/bin/time", "-v", os.path.join(bin_dir, "ternc"), ckpt, "-o", out, "--quiet",
           "--target", target] + (["--packing", packing] if packing else [])
    result = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit("ternc failed:\n" + result.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) * 1024
    return seconds, peak


def busy_seconds():
    """CPU seconds all processes have spent on this machine (user+nice+system+irq+softirq+steal)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / ticks


def wait_until_idle(max_cores=0.2, window_s=3.0, give_up_s=600.0):
    """Waits until the other processes used under `max_cores` of a core for `window_s` seconds."""
    start = time.time()
    while time.time() - start < give_up_s:
        before = busy_seconds()
        time.sleep(window_s)
        if (busy_seconds() - before) / window_s < max_cores:
            return True
    return False


def bench(bin_dir, artifact, threads):
    """Runs tern-run --bench once; also records how much CPU other processes took meanwhile."""
    before, wall = busy_seconds(), time.time()
    own_before = os.times()
    out = subprocess.run([os.path.join(bin_dir, "tern-run"), artifact, "--bench", "--json",
                          "--threads", str(threads)], stdout=subprocess.PIPE, text=True, check=True)
    own = os.times()
    wall = time.time() - wall
    ours = (own.children_user - own_before.children_user) + (own.children_system - own_before.children_system)
    run = json.loads(out.stdout)
    run["other_cpu_cores"] = max(0.0, (busy_seconds() - before - ours) / wall)
    return run


def paired_ratios(run):
    """The paired rounds' decode / read ratios as min-median-max (tern-run's median in the middle)."""
    rounds = run.get("paired_rounds")
    if not rounds:
        return "-"
    ratios = sorted(r["decode_tok_s"] * run["bytes_per_token"] / 1e9 / r["read_gbps"] for r in rounds)
    return "%.2f-**%.2f**-%.2f" % (ratios[0], run["fraction_of_read_paired"], ratios[-1])


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="/tmp/tern-bench", help="checkpoints and artifacts (large)")
    p.add_argument("--presets", nargs="+", default=["1.3b", "2.7b"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--target", default="host")
    p.add_argument("--packing", help="ternc --packing (default: the target's layout)")
    p.add_argument("--repeat", type=int, default=1, help="tern-run --bench runs per thread count")
    p.add_argument("--no-compile", action="store_true", help="reuse WORK/PRESET.tern")
    p.add_argument("--wait-idle", action="store_true",
                   help="start each tern-run only once other processes have used under 0.2 of a "
                        "core for 3 s (the JSON's other_cpu_cores says what they took during it)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)

    rows = []
    for preset in args.presets:
        ckpt = checkpoint(args.work, preset)
        artifact = os.path.join(args.work, preset + ".tern")
        compile_s = peak = None
        if not args.no_compile or not os.path.exists(artifact):
            compile_s, peak = compile_model(args.bin, ckpt, artifact, args.target, args.packing)
        code, weights = artifact_sections(artifact)
        facts = {"preset": preset, "checkpoint_bytes": directory_bytes(ckpt),
                 "artifact_bytes": os.path.getsize(artifact), "code_bytes": code,
                 "weights_bytes": weights, "compile_s": compile_s, "ternc_peak_rss_bytes": peak}
        for threads in args.threads:
            for _ in range(args.repeat):
                if args.wait_idle and not wait_until_idle():
                    print("warning: the machine did not become idle in 10 minutes; running anyway",
                          file=sys.stderr)
                run = bench(args.bin, artifact, threads)
                run.update(facts)
                run["load_average"] = load_average()
                run["date"] = time.strftime("%Y-%m-%d %H:%M")
                print(json.dumps(run), flush=True)
                with open(os.path.join(args.work, "results.jsonl"), "a") as f:
                    f.write(json.dumps(run) + "\n")
                rows.append(run)

    print("\n| shape | threads | isa | prefill 128 tok/s | prefill 512 tok/s | decode tok/s | "
          "MB/token | effective GB/s | read GB/s | ratio | paired ratio (min-median-max of 8 rounds) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| {preset} | {threads} | {isa} | {p128:.1f} | {p512:.1f} | {decode:.1f} | {mb:.0f} | "
              "{eff:.1f} | {read:.1f} | {ratio:.2f} | {paired} |".format(
                  preset=r["preset"], threads=r["threads"], isa=r["isa"],
                  p128=r["prefill_tok_s"]["128"], p512=r["prefill_tok_s"]["512"],
                  decode=r["decode_tok_s"], mb=r["bytes_per_token"] / 1e6,
                  eff=r["effective_gbps"], read=r["read_gbps"], ratio=r["fraction_of_read"],
                  paired=paired_ratios(r)))
    print("\n| shape | checkpoint GB | ternc s | ternc peak GB | peak / checkpoint | artifact MB | "
          "weights MB | artifact / weights | tern-run RSS MB | RSS / artifact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    seen = set()
    for r in rows:
        if r["preset"] in seen:
            continue
        seen.add(r["preset"])
        compile_s = r["compile_s"]
        peak = r["ternc_peak_rss_bytes"]
        print("| {preset} | {ck:.2f} | {cs} | {pk} | {pr} | {art:.1f} | {w:.1f} | {aw:.4f} | {rss:.1f} | "
              "{ra:.3f} |".format(
                  preset=r["preset"], ck=r["checkpoint_bytes"] / 1e9,
                  cs="%.1f" % compile_s if compile_s else "-",
                  pk="%.2f" % (peak / 1e9) if peak else "-",
                  pr="%.2f" % (peak / r["checkpoint_bytes"]) if peak else "-",
                  art=r["artifact_bytes"] / 1e6, w=r["weights_bytes"] / 1e6,
                  aw=r["artifact_bytes"] / r["weights_bytes"], rss=r["rss_bytes"] / 1e6,
                  ra=r["rss_bytes"] / r["artifact_bytes"]))


if __name__ == "__main__":
    main()
