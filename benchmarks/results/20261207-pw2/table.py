# usage: table.py DIR BASE NEW PEAK1 [CASE-REGEX]: a markdown table of
# DIR/BASE-{1,2}t.txt against DIR/NEW-{1,2}t.txt: benchstat medians
# (GFLOP/s), per-round ratios (perround.py's), benchstat's p-value and the
# new median's share of PEAK1 (1 thread) or 2·PEAK1 (2 threads).
import re, subprocess, sys, statistics as st, collections
d, base, new, peak = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
pat = re.compile(sys.argv[5]) if len(sys.argv) > 5 else None
def load(f):
    r = collections.defaultdict(list)
    for l in open(f):
        m = re.match(r'Benchmark(\S+?)(-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) GFLOP/s', l)
        if m:
            r[m.group(1)].append(float(m.group(3)))
    return r
print("| case | threads | before GFLOP/s | after GFLOP/s | change (p) | rounds faster | after, share of peak |")
print("|---|---:|---:|---:|---:|---:|---:|")
for t in (1, 2):
    a, b = load(f"{d}/{base}-{t}t.txt"), load(f"{d}/{new}-{t}t.txt")
    out = subprocess.run(["benchstat", f"{d}/{base}-{t}t.txt", f"{d}/{new}-{t}t.txt"], capture_output=True, text=True).stdout
    pv = {}
    sec = out.split("GFLOP/s", 1)[1] if "GFLOP/s" in out else ""
    for l in sec.splitlines():
        m = re.match(r'(\S+?)(-\d+)?\s.*\(p=([\d.]+) n=\d+\)', l)
        if m:
            pv[m.group(1)] = m.group(3)
    for k in a:
        if k.startswith("Peak") or (pat and not pat.search(k)):
            continue
        r = [y / x for x, y in zip(a[k], b[k])]
        ma, mb = st.median(a[k]), st.median(b[k])
        print(f"| {k} | {t} | {ma:.1f} | {mb:.1f} | {100*(mb/ma-1):+.0f}% (p={pv.get(k,'?')}) | {sum(x > 1 for x in r)}/{len(r)} | {100*mb/(peak*t):.1f}% |")
