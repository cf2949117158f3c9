"""Share of peak per round from mm.sh's output: each MatMul line over the Peak/fma_avx512_all line
of the same invocation (same binary, round and thread count). usage: mmshare.py OUT"""
import re, statistics as st, sys
out = sys.argv[1]
for b in ("base", "new"):
    rows = {}
    peak = {}
    inv = 0
    for line in open(f"{out}/{b}.txt"):
        m = re.match(r"Benchmark(\S+?)(-(\d+))?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) GFLOP/s", line)
        if not m:
            continue
        name, threads, gf = m.group(1), m.group(3) or "1", float(m.group(4))
        if name.startswith("MatMul/mnv2_960"):
            inv += 1  # first line of an invocation
        key = (inv, threads)
        if name.startswith("Peak/"):
            peak[key] = gf
        else:
            rows.setdefault((name, threads), []).append((key, gf))
    for (name, threads), vals in sorted(rows.items()):
        shares = [gf / peak[k] for k, gf in vals if k in peak]
        gfs = [gf for _, gf in vals]
        print(f"{b:4} {name} {threads} thread(s): median {st.median(gfs):.1f} GFLOP/s, share of the same invocation's peak: median {st.median(shares):.1%}, min {min(shares):.1%}, max {max(shares):.1%}, {sum(s >= 0.6 for s in shares)}/{len(shares)} rounds >= 60%")
