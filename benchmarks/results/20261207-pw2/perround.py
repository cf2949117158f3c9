# usage: perround.py BASE.txt NEW.txt [PEAK]: per-round ratios new/base of
# GFLOP/s for every case (the files hold the rounds of matmul.sh or
# pointwise.sh in the same order), their median and range, the medians of
# each side and, with PEAK (GFLOP/s of the thread count), the share of it.
import collections, re, statistics as st, sys
def load(f):
    d = collections.defaultdict(list)
    for l in open(f):
        m = re.match(r'Benchmark(\S+?)(-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) GFLOP/s', l)
        if m:
            d[m.group(1)].append(float(m.group(3)))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
peak = float(sys.argv[3]) if len(sys.argv) > 3 else 0
for k in a:
    if k.startswith("Peak"):
        continue
    r = [y / x for x, y in zip(a[k], b[k])]
    line = f"{k:34s} base {st.median(a[k]):7.1f} new {st.median(b[k]):7.1f} GFLOP/s  ratio med {st.median(r):.3f} (min {min(r):.2f} max {max(r):.2f}, {sum(x > 1 for x in r)}/{len(r)} rounds faster)"
    if peak:
        line += f"  new {100 * st.median(b[k]) / peak:.1f}% of {peak:.0f}"
    print(line)
