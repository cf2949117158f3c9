# usage: perround.py DIR...: every round of long.sh's files (DIR/ort2.txt, base.txt, new.txt), rounds in order,
# then over all DIRs together: medians, median of the per-round ratios, rounds faster, two-sided sign test.
import re, sys, math, statistics as st, collections
def sign_p(k, n):
    m = min(k, n - k)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(m + 1)) / 2**n)
def load(f):
    d = collections.defaultdict(list)
    for l in open(f):
        m = re.match(r'Benchmark(\S+)-\d+\s+\d+\s+(\d+) ns/op', l)
        if m: d[m.group(1)].append(int(m.group(2)) / 1e6)
    return d
cases = ['MobileNetV2/224x224_n1/inference', 'MobileNetV2/224x224_n8/inference', 'AutoNLS/224x224_n1/inference', 'AutoNLS/224x224_n8/inference']
allr = collections.defaultdict(list)
for d in sys.argv[1:]:
    b, n = load(d + '/base.txt'), load(d + '/new.txt')
    ort = collections.defaultdict(list)
    for l in open(d + '/ort2.txt'):
        m = re.match(r'(\S+)/ort\s+([\d.]+) ms', l)
        if m: ort[m.group(1)].append(float(m.group(2)))
    print('==', d)
    for k in cases:
        print(k)
        for i in range(min(len(b[k]), len(n[k]), len(ort[k]))):
            o, x, y = ort[k][i], b[k][i], n[k][i]
            allr[k].append((o, x, y))
            print(f'  round {i+1}: ORT {o:.2f} base {x:.2f} new {y:.2f}  new/base {y/x:.3f}  base/ORT {x/o:.2f}  new/ORT {y/o:.2f}')
print('== all rounds of', ' '.join(sys.argv[1:]))
for k in cases:
    r = allr[k]
    rat = [y / x for o, x, y in r]; f = sum(q < 1 for q in rat)
    o, x, y = (st.median(v[i] for v in r) for i in range(3))
    print(f'{k:36s} n={len(r)} ORT {o:.2f} base {x:.2f} new {y:.2f} ms; new/base per round {st.median(rat):.3f}, {f}/{len(r)} faster, sign p={sign_p(f, len(r)):.3f}; '
          f'base/ORT {x/o:.2f} new/ORT {y/o:.2f} (per round {st.median(y2/o2 for o2, x2, y2 in r):.2f}: {min(y2/o2 for o2, x2, y2 in r):.2f}-{max(y2/o2 for o2, x2, y2 in r):.2f})')
