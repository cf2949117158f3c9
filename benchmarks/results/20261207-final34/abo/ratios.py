"""Medians and per-round ratios of ab/ (abo.sh: base e45d394, new = main affb11e, ONNX Runtime, rotating)."""
import re, statistics as st, sys, os
d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
def load(f, pat):
    out = {}
    for l in open(os.path.join(d, f)):
        m = re.match(pat, l)
        if m:
            out.setdefault(m.group(1), []).append(float(m.group(2)))
    return out
go = r'^Benchmark(\S+?)-2\s+\d+\s+(\d+) ns/op'
b, n = load('base.txt', go), load('new.txt', go)
o = load('ort.txt', r'^(\S+)/ort\s+([\d.]+) ms')
for k in sorted(n):
    bb = [x / 1e6 for x in b[k]]; nn = [x / 1e6 for x in n[k]]; oo = o[k]
    r = [x / y for x, y in zip(nn, oo)]
    print(f"{k}: base {st.median(bb):.2f} ms, main {st.median(nn):.2f}, ONNX Runtime {st.median(oo):.2f}; "
          f"main/ORT {st.median(nn)/st.median(oo):.2f} (per round median {st.median(r):.2f}, worst {max(r):.2f}, "
          f"{sum(x <= 1.5 for x in r)}/{len(r)} rounds <= 1.5); base/ORT {st.median(bb)/st.median(oo):.2f}; "
          f"main faster than base in {sum(x < y for x, y in zip(nn, bb))}/{len(nn)} rounds")
