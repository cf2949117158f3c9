#!/usr/bin/env python3
"""Prints the README table of the dw6 branch from this directory's raw
files: medians of before$t.txt and after$t.txt (GFLOP/s) and
PyTorch channels_last from ref$t.txt, for t = 1 and 2 threads."""
import re
import statistics


def medians(path):
    runs = {}
    for line in open(path):
        m = re.match(r"BenchmarkDepthwise/(\S+?)(?:-\d+)?\s.*?([\d.]+) GFLOP/s", line)
        if m:
            runs.setdefault(m.group(1), []).append(float(m.group(2)))
    return {k: statistics.median(v) for k, v in runs.items()}


def ref(path):
    out = {}
    for line in open(path):
        m = re.match(r"Depthwise/(\S+)/torch_cl\s.*?([\d.]+) GFLOP/s", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


cols = {}
for t in (1, 2):
    cols[t] = (medians(f"before{t}.txt"), medians(f"after{t}.txt"), ref(f"ref{t}.txt"))
print("| case | before, 1 thread | after, 1 thread | PyTorch cl, 1 thread | after / PyTorch cl | "
      "before, 2 threads | after, 2 threads | PyTorch cl, 2 threads | after / PyTorch cl |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for case in cols[1][1]:
    row = [case]
    for t in (1, 2):
        b, a, r = cols[t][0][case], cols[t][1][case], cols[t][2].get(case)
        ratio = a / r if r else float("nan")
        rs = f"**{ratio:.2f}**" if ratio >= 1 else f"{ratio:.2f}"
        row += [f"{b:.1f}", f"{a:.1f}", f"{r:.1f}" if r else "–", rs]
    print("| " + " | ".join(row) + " |")
