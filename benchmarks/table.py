#!/usr/bin/python3
"""Markdown tables from Go benchmark output and reference.py output.

    /usr/bin/python3 benchmarks/table.py go1.txt ref1.txt [threads]

Takes the median of repeated Go runs (-count), matches each case with the
best PyTorch layout and OpenBLAS, and gives the share of peak: the
benchmark's GFLOP/s over the peak, the rate of the widest FMA loop run
on every thread at once (BenchmarkPeak/fma_avx512_all, or fma_avx2_all,
measured in the same Go run at the table's thread count: wide vectors on
all cores may lower the clock). Output without those rows falls back to
FLOP/cycle/core × GHz × threads, with the clock from BenchmarkPeak/clock
and 64 FLOP/cycle with AVX-512, else 32 (AVX2).
It refuses reference output without reference.py's "# reference
plausible" line. Whole-model cases (MobileNetV2, AutoNLS) get a table of their own, in
milliseconds per batch, with the ratio of our time to PyTorch's best and
to ONNX Runtime's (benchmarks/ort.js output appended to the reference
file).
"""
import re
import statistics
import sys
from collections import defaultdict

go_file, ref_file = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
flags = open("/proc/cpuinfo").read()
flop_per_cycle = 64 if "avx512f" in flags else 32

vals = defaultdict(lambda: defaultdict(list))
for line in open(go_file):
    if not line.startswith("Benchmark"):
        continue
    name = re.sub(r"-\d+$", "", line.split()[0])
    name = name[len("Benchmark"):]
    for v, unit in re.findall(r"([\d.]+) (GFLOP/s|GB/s|GHz|ns/op|images/s)", line):
        vals[name][unit].append(float(v))
go = {n: {u: statistics.median(v) for u, v in us.items()} for n, us in vals.items()}

ref_lines = open(ref_file).read().splitlines()
if not any(line.startswith("# reference plausible") for line in ref_lines):
    sys.exit(f"table.py: {ref_file} has no '# reference plausible' line (reference.py found the BLAS reference "
             "implausibly slow, or the file is from an older reference.py): no table")
ref = defaultdict(dict)
for line in ref_lines:
    m = re.match(r"(\S+)/(torch_nchw|torch_cl|torch|openblas|ort)\s+([\d.]+) ms\s*(?:([\d.]+) GFLOP/s)?\s*(?:([\d.]+) GB/s)?", line)
    if m:
        ref[m.group(1)][m.group(2)] = (float(m.group(4) or 0), float(m.group(5) or 0), float(m.group(3)))

print("Reference: " + "; ".join(line[2:] for line in ref_lines if line.startswith("# ")) + ".\n")

ghz = go.get("Peak/clock", {}).get("GHz", 0)
peak_all = [m["GFLOP/s"] for n, m in go.items() if re.fullmatch(r"Peak/fma_\w+_all", n) and "GFLOP/s" in m]
if peak_all:
    peak = max(peak_all)
    peak_def = (f"peak {peak:.0f} GFLOP/s: the widest FMA loop on {threads} thread(s) at once "
                f"(BenchmarkPeak/fma_*_all, {peak / threads / flop_per_cycle:.2f} GHz × {flop_per_cycle} FLOP/cycle/core); "
                f"clock {ghz:.2f} GHz (integer chain, 1 thread)")
else:
    peak = flop_per_cycle * ghz * threads
    peak_def = f"clock {ghz:.2f} GHz, peak {peak:.0f} GFLOP/s ({flop_per_cycle} FLOP/cycle/core × {threads} thread(s))"
models = {n: m for n, m in go.items() if n.startswith(("MobileNetV2/", "AutoNLS/"))}
if len(models) < len(go):
    print(f"Share of peak: {peak_def}.\n")
    print("| case | ours GFLOP/s | ours GB/s | PyTorch NCHW | PyTorch channels_last | OpenBLAS | ours / best reference | share of peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, m in go.items():
    if name in models:
        continue
    if name.startswith("Peak/"):
        if "GFLOP/s" in m and name.endswith("_all"):
            print(f"| {name} | {m['GFLOP/s']:.1f} | | | | | | {m['GFLOP/s'] / peak:.0%} |")
        elif "GFLOP/s" in m:
            print(f"| {name} | {m['GFLOP/s']:.1f} | | | | | | {m['GFLOP/s'] / (flop_per_cycle * ghz):.0%} of 1 core at {ghz:.2f} GHz |")
        elif "GHz" in m:
            print(f"| {name} | {m['GHz']:.2f} GHz | | | | | | |")
        continue
    key = name.replace("MatMul/", "MatMul/")
    r = ref.get(key, {})
    gf, gb = m.get("GFLOP/s", 0), m.get("GB/s", 0)
    cells = []
    best = 0
    idx = 0 if gf else 1  # compare GB/s where there is no GFLOP/s
    for k in ("torch_nchw", "torch_cl", "openblas"):
        rv = r.get(k) or (r.get("torch") if k == "torch_nchw" else None)
        if rv:
            cells.append(f"{rv[idx]:.1f}")
            best = max(best, rv[idx])
        else:
            cells.append("")
    ratio = f"{(gf or gb) / best:.2f}" if best else ""
    gbs = f"{gb:.1f}" if gb else ""
    gfs = f"{gf:.1f}" if gf else ""
    share = f"{gf / peak:.0%}" if gf and peak else ""
    print(f"| {name} | {gfs} | {gbs} | {' | '.join(cells)} | {ratio} | {share} |")

if models:
    print("\n| case | ours ms | ours images/s | PyTorch NCHW ms | PyTorch channels_last ms | ONNX Runtime ms "
          "| ours / best PyTorch (time) | ours / ONNX Runtime (time) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, m in models.items():
        r = ref.get(name, {})
        ms = m.get("ns/op", 0) / 1e6
        times = [r[k][2] for k in ("torch_nchw", "torch_cl") if k in r]
        cells = [f"{r[k][2]:.1f}" if k in r else "" for k in ("torch_nchw", "torch_cl", "ort")]
        ratio = f"{ms / min(times):.2f}" if times else ""
        ort_ratio = f"{ms / r['ort'][2]:.2f}" if "ort" in r else ""
        print(f"| {name} | {ms:.1f} | {m.get('images/s', 0):.1f} | {' | '.join(cells)} | {ratio} | {ort_ratio} |")
