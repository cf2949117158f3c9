import sys, re, statistics as st, collections
# usage: ortpaired.py ort2.txt base.txt new.txt : per-round ratios ours/ORT (rounds in order)
def loadgo(f):
    d=collections.defaultdict(list)
    for l in open(f):
        m=re.match(r'Benchmark(\S+)-\d+\s+\d+\s+(\d+) ns/op',l)
        if m: d[m.group(1)].append(int(m.group(2))/1e6)
    return d
ort=collections.defaultdict(list)
for l in open(sys.argv[1]):
    m=re.match(r'(\S+)/ort\s+([\d.]+) ms',l)
    if m: ort[m.group(1)].append(float(m.group(2)))
b,n=loadgo(sys.argv[2]),loadgo(sys.argv[3])
print(f"{'case':40s} {'base':>7s} {'new':>7s} {'ORT':>7s} {'base/ORT':>8s} {'new/ORT':>8s}  per-round new/ORT median (min-max)")
for k in ort:
    o=ort[k]; bb=b[k]; nn=n[k]; r=min(len(o),len(bb),len(nn))
    pr=[nn[i]/o[i] for i in range(r)]
    print(f"{k:40s} {st.median(bb):7.2f} {st.median(nn):7.2f} {st.median(o):7.2f} {st.median(bb)/st.median(o):8.2f} {st.median(nn)/st.median(o):8.2f}  {st.median(pr):.2f} ({min(pr):.2f}-{max(pr):.2f}) n={r}")
