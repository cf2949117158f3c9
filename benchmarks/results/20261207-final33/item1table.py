import re, sys, statistics as st
d = sys.argv[1]
def med(x): return st.median(x) if x else float('nan')
ours, pt, ort = {}, {}, {}
for l in open(f"{d}/ours.txt"):
    m = re.match(r"Benchmark(\S+)-2\s+\d+\s+(\d+) ns/op", l)
    if m: ours.setdefault(m[1], []).append(int(m[2]) / 1e6)
for l in open(f"{d}/pt.txt"):
    m = re.match(r"(\S+)/(inference|train)/torch_(nchw|cl)\s+([\d.]+) ms", l)
    if m: pt.setdefault((f"{m[1]}/{m[2]}", m[3]), []).append(float(m[4]))
for l in open(f"{d}/ort.txt"):
    m = re.match(r"(\S+)/inference/ort\s+([\d.]+) ms", l)
    if m: ort.setdefault(m[1] + "/inference", []).append(float(m[2]))
print("| case | ours ms | PyTorch NCHW ms | PyTorch channels_last ms | ONNX Runtime ms | ours / best PyTorch | ours / ONNX Runtime | rounds ours faster than PyTorch cl |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for k in sorted(ours):
    o = med(ours[k]); n = med(pt.get((k, "nchw"), [])); c = med(pt.get((k, "cl"), [])); r = med(ort.get(k, []))
    cl = pt.get((k, "cl"), [])
    wins = sum(a < b for a, b in zip(ours[k], cl))
    rs = f"{r:.2f}" if r == r else ""
    rr = f"{o / r:.2f}" if r == r else ""
    print(f"| {k} | {o:.2f} | {n:.1f} | {c:.1f} | {rs} | {o / min(n, c):.2f} | {rr} | {wins}/{len(cl)} |")
