# usage: perpeak.py DIR NAME [CASE-REGEX]: for every round of matmul.sh's
# DIR/NAME-1t.txt and DIR/NAME-2t.txt, the GFLOP/s of the cases matching
# CASE-REGEX (default: the 7×7 products) as a share of that round's
# BenchmarkPeak/fma_avx512 (one goroutine, measured by the same binary
# in the same round; 2 threads: twice it), and the worst round.
import re, sys, collections
d, name = sys.argv[1], sys.argv[2]
pat = re.compile(sys.argv[3] if len(sys.argv) > 3 else r'mnv2_(960x160|1280x320)x49')
def rounds(f):
    # One dict per round; a round starts at the first case of the file.
    out, cur, first = [], None, None
    for l in open(f):
        m = re.match(r'Benchmark(\S+?)(-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) GFLOP/s', l)
        if not m:
            continue
        k, v = m.group(1), float(m.group(3))
        if first is None:
            first = k
        if k == first:
            cur = {}
            out.append(cur)
        cur[k] = v
    return out
r1, r2 = rounds(f"{d}/{name}-1t.txt"), rounds(f"{d}/{name}-2t.txt")
worst = collections.defaultdict(lambda: 999.0)
print(f"{name}: share of peak per round (1 thread: Peak/fma_avx512; 2 threads: twice it)")
for i, (a, b) in enumerate(zip(r1, r2)):
    peak = a["Peak/fma_avx512"]
    cells = []
    for k in a:
        if pat.search(k):
            s1, s2 = 100 * a[k] / peak, 100 * b[k] / (2 * peak)
            worst[(k, 1)] = min(worst[(k, 1)], s1)
            worst[(k, 2)] = min(worst[(k, 2)], s2)
            cells.append(f"{k.split('/')[-1]} 1t {a[k]:.1f} ({s1:.1f}%) 2t {b[k]:.1f} ({s2:.1f}%)")
    print(f"round {i+1}: peak {peak:.1f}  " + "  ".join(cells))
for (k, t), v in sorted(worst.items()):
    print(f"worst {k} {t}t: {v:.1f}%")
