#!/usr/bin/python3
"""Where a decode step's time goes, from the kernel timeline of bench/gpu/kernel_timeline.cpp.

    bench/gpu/timeline.py TIMELINE.csv [--layer-kernels 8]

The decode steps are the graph replays (kernels with a graph node). For every kernel position of a
step it averages, over the steps after the first two, how long after the previous kernel's end this
one ended ("adds": its share of the step's critical path), how long it ran from its first block's
start to its end ("runs": with programmatic dependent launch this includes the wait for the kernel
before), and when it started relative to the previous kernel's end ("starts": negative when it was
already resident, waiting). It prints the totals per step, then the kernels of one layer in the
middle of the model, then the sum of "adds" by kind (single-block kernels against the others).
"""
import argparse
import csv
import statistics
import sys


def steps_of(rows):
    """The graph replays: runs of graph kernels, split where the first node of the graph recurs."""
    graph = [r for r in rows if r["graph_node"] != 0]
    if not graph:
        return []
    first = graph[0]["graph_node"]
    steps, current = [], []
    for r in graph:
        if r["graph_node"] == first and current:
            steps.append(current)
            current = []
        current.append(r)
    if current:
        steps.append(current)
    length = statistics.mode(len(s) for s in steps)
    return [s for s in steps if len(s) == length]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("timeline")
    p.add_argument("--layer-kernels", type=int, default=8, help="kernels per layer (default 8)")
    p.add_argument("--rows", type=int, default=1,
                   help="the grid of the small ops' kernels: 1 for a decode step's single block, "
                        "B for a batch of B sequences' block per sequence (default 1)")
    args = p.parse_args()
    with open(args.timeline) as f:
        rows = [dict(r, start=int(r["start_ns"]), end=int(r["end_ns"]), grid=int(r["grid"]),
                     block=int(r["block"]), graph_node=int(r["graph_node"])) for r in csv.DictReader(f)]
    rows.sort(key=lambda r: r["start"])
    steps = steps_of(rows)[2:]
    if not steps:
        sys.exit("no decode steps (graph replays) in " + args.timeline)
    n = len(steps[0])
    adds, runs, starts = [[] for _ in range(n)], [[] for _ in range(n)], [[] for _ in range(n)]
    totals = []
    for s in steps:
        s = sorted(s, key=lambda r: r["end"])
        totals.append((s[-1]["end"] - min(r["start"] for r in s)) / 1e3)
        for i, r in enumerate(s):
            prev_end = s[i - 1]["end"] if i else r["start"]
            adds[i].append((r["end"] - prev_end) / 1e3)
            runs[i].append((r["end"] - r["start"]) / 1e3)
            starts[i].append((r["start"] - prev_end) / 1e3)
    order = sorted(steps[0], key=lambda r: r["end"])
    print(f"{len(steps)} decode steps of {n} kernels: {statistics.median(totals):.1f} us per step "
          f"(median; first kernel's start to last kernel's end)")
    mean = statistics.mean
    middle = (n // args.layer_kernels // 2) * args.layer_kernels
    print(f"\nkernels {middle}-{middle + args.layer_kernels - 1} (a layer in the middle), "
          "mean over the steps, us:")
    print(f"{'kernel':<12} {'grid':>5} {'block':>5} {'adds':>6} {'runs':>6} {'starts':>7}")
    for i in range(middle, min(n, middle + args.layer_kernels)):
        r = order[i]
        print(f"{r['name']:<12} {r['grid']:>5} {r['block']:>5} {mean(adds[i]):>6.2f} "
              f"{mean(runs[i]):>6.2f} {mean(starts[i]):>7.2f}")
    small = sum(mean(adds[i]) for i in range(n) if order[i]["grid"] == args.rows)
    other = sum(mean(adds[i]) for i in range(n) if order[i]["grid"] != args.rows)
    kind = "single-block kernels" if args.rows == 1 else f"kernels of {args.rows} blocks (a block a row)"
    print(f"\nper step: {kind} add {small:.1f} us, the others {other:.1f} us")


if __name__ == "__main__":
    main()
