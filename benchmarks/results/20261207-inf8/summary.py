# usage: summary.py DIR: base.txt, new.txt, ort.txt of abo.sh (rounds paired in order):
# medians, per-round ratio new/base, rounds faster, two-sided sign test, ratios to ONNX Runtime.
import re, sys, statistics as st
from math import comb
d = sys.argv[1]
def go(f):
    r = {}
    for l in open(f"{d}/{f}"):
        m = re.match(r"Benchmark(\S+)-2\s+\d+\s+(\d+) ns/op", l)
        if m: r.setdefault(m[1], []).append(int(m[2]) / 1e6)
    return r
b, n = go("base.txt"), go("new.txt")
o = {}
for l in open(f"{d}/ort.txt"):
    m = re.match(r"(\S+)/ort\s+([\d.]+) ms", l)
    if m: o.setdefault(m[1], []).append(float(m[2]))
def sign(k, t):
    p = sum(comb(t, i) for i in range(0, min(k, t - k) + 1)) / 2 ** t
    return min(1, 2 * p)
print("| case | rounds | base ms | new ms | per-round new/base | rounds faster | sign test p | ORT ms | base/ORT | new/ORT (per round: median, range; rounds ≤ 1.5) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for k in sorted(b):
    bb, nn, oo = b[k], n[k], o.get(k, [])
    t = min(len(bb), len(nn))
    rat = [nn[i] / bb[i] for i in range(t)]
    faster = sum(x < 1 for x in rat)
    line = f"| {k} | {t} | {st.median(bb):.2f} | {st.median(nn):.2f} | {st.median(rat):.3f} | {faster}/{t} | {sign(faster, t):.3g} |"
    if oo:
        ro = [nn[i] / oo[i] for i in range(min(t, len(oo)))]
        line += f" {st.median(oo):.2f} | {st.median(bb) / st.median(oo):.2f} | **{st.median(nn) / st.median(oo):.2f}** ({st.median(ro):.2f}, {min(ro):.2f}-{max(ro):.2f}; {sum(x <= 1.5 for x in ro)}/{len(ro)}) |"
    else:
        line += " | | |"
    print(line)
