#!/usr/bin/env python3
"""Prints the README tables of the dw7 branch from this directory's raw
files: medians of before$t.txt and after$t.txt (GFLOP/s) with PyTorch
channels_last from ref$t.txt, for t = 1 and 2 threads (all rows, or with
--changed only those of the weight gradients this branch changes), and
the AVX2 medians of avx2-before$t.txt and avx2-after$t.txt."""
import re
import statistics
import sys


def runs(path):
    out = {}
    for line in open(path):
        m = re.match(r"Benchmark(?:Depthwise/)?(\S+?)(?:-\d+)?\s.*?([\d.]+) GFLOP/s", line)
        if m:
            out.setdefault(m.group(1), []).append(float(m.group(2)))
    return out


def medians(path):
    return {k: statistics.median(v) for k, v in runs(path).items()}


def ref(path):
    out = {}
    for line in open(path):
        m = re.match(r"Depthwise/(\S+)/torch_cl\s.*?([\d.]+) GFLOP/s", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


CHANGED = ("k3_c384_14x14_s1_n8/weight", "k3_c576_14x14_s2_n8/weight", "k3_c960_7x7_s1_n8/weight",
           "k3_c192_28x28_s1_n8/weight")


def bold(r):
    return f"**{r:.2f}**" if r >= 1 else f"{r:.2f}"


def main():
    changed = "--changed" in sys.argv
    cols = {t: (medians(f"before{t}.txt"), medians(f"after{t}.txt"), ref(f"ref{t}.txt")) for t in (1, 2)}
    print("| case | before, 1 thread | after, 1 thread | PyTorch cl, 1 thread | after / PyTorch cl | "
          "before, 2 threads | after, 2 threads | PyTorch cl, 2 threads | after / PyTorch cl |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in cols[1][0]:
        if changed and case not in CHANGED:
            continue
        row = [case]
        for t in (1, 2):
            b, a, r = cols[t][0].get(case), cols[t][1].get(case), cols[t][2].get(case)
            row += [f"{b:.1f}", f"{a:.1f}", f"{r:.1f}", bold(a / r)]
        print("| " + " | ".join(row) + " |")
    print()
    print("AVX2 (AUTONL_SIMD=avx2):")
    print()
    print("| case | before, 1 thread | after, 1 thread | before, 2 threads | after, 2 threads |")
    print("|---|---:|---:|---:|---:|")
    a2 = {t: (medians(f"avx2-before{t}.txt"), medians(f"avx2-after{t}.txt")) for t in (1, 2)}
    for case in a2[1][0]:
        row = [case]
        for t in (1, 2):
            row += [f"{a2[t][0][case]:.1f}", f"{a2[t][1][case]:.1f}"]
        print("| " + " | ".join(row) + " |")
    print()
    print("dwconv kernel benchmarks (planes in cache, 1 thread):")
    print()
    print("| kernel | AVX2 before | AVX2 after | AVX-512 before | AVX-512 after |")
    print("|---|---:|---:|---:|---:|")
    k = {(s, b): medians(f"kern-{s}-{b}.txt") for s in ("avx2", "avx512") for b in ("dwbefore", "dwafter")}
    for case in k[("avx2", "dwbefore")]:
        row = [case] + [f"{k[(s, b)][case]:.1f}" for s in ("avx2", "avx512") for b in ("dwbefore", "dwafter")]
        print("| " + " | ".join(row) + " |")


main()
