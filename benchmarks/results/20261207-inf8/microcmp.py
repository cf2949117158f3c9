# usage: microcmp.py OFF ON: per-layer wall time (ms per b8 pass) of two layertime runs,
# the layers' batch (n8 whole, n2 micro-batches) folded together.
import re, sys
def parse(f):
    txt = open(f).read().split('wall per pass')[1].split('total')[0]
    d = {}
    for l in txt.splitlines():
        m = re.match(r'\s*([\d.]+) ms/pass\s+[\d.]+%\s+x(\d+)\s+(\S+) n\d+ (.*)', l)
        if m: d[m[3] + ' ' + m[4]] = d.get(m[3] + ' ' + m[4], 0) + float(m[1]) / 40
    return d
a, b = parse(sys.argv[1]), parse(sys.argv[2])
rows = sorted(((b.get(k, 0) - a[k], k) for k in a))
for diff, k in rows:
    if abs(diff) >= 0.03: print("%6.2f %6.2f %6.2f  %s" % (a[k], b.get(k, 0), diff, k))
print("sum %.2f %.2f" % (sum(a.values()), sum(b.values())))
