import sys, re, statistics as st, collections, math
def sign_p(k, n):
    # two-sided exact sign test: k of n rounds faster
    m = min(k, n - k)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(m + 1)) / 2**n)
# usage: paired.py base.txt new.txt  (same number of rounds, same case order)
def load(f):
    d=collections.defaultdict(list)
    for l in open(f):
        m=re.match(r'(Benchmark\S+)\s+\d+\s+(\d+) ns/op\s+([\d.]+) cpu-ms/op',l)
        if m: d[m.group(1)].append((int(m.group(2))/1e6, float(m.group(3))))
    return d
a,b=load(sys.argv[1]),load(sys.argv[2])
for k in a:
    r=[y[0]/x[0] for x,y in zip(a[k],b[k])]
    rc=[y[1]/x[1] for x,y in zip(a[k],b[k])]
    print(f"{k:45s} base med {st.median(x[0] for x in a[k]):7.2f} new med {st.median(y[0] for y in b[k]):7.2f} ms  paired ratio med {st.median(r):.3f} (min {min(r):.2f} max {max(r):.2f}, {sum(x<1 for x in r)}/{len(r)} faster, sign test p={sign_p(sum(x<1 for x in r), len(r)):.3f})  cpu ratio {st.median(rc):.3f}")
