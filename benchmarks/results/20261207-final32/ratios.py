# AutoNL-S against ONNX Runtime per round: ours.txt and ort.txt of each
# directory given (rounds paired in order), medians, per-round ratios.
import re, statistics as st, sys
for d in sys.argv[1:]:
    o, r = {}, {}
    for l in open(d + "/ours.txt"):
        m = re.match(r"BenchmarkAutoNLS/(\S+)/inference-2\s+\d+\s+(\d+) ns/op", l)
        if m: o.setdefault(m[1], []).append(int(m[2]) / 1e6)
    for l in open(d + "/ort.txt"):
        m = re.match(r"AutoNLS/(\S+)/inference/ort\s+([\d.]+) ms", l)
        if m: r.setdefault(m[1], []).append(float(m[2]))
    for k in o:
        rat = [a / b for a, b in zip(o[k], r[k])]
        print(f"{d} {k}: ours {st.median(o[k]):.2f} ms, ORT {st.median(r[k]):.2f} ms, ratio of medians {st.median(o[k]) / st.median(r[k]):.3f}, "
              f"median per-round ratio {st.median(rat):.3f} (range {min(rat):.2f}-{max(rat):.2f}), rounds at or under 1.5: {sum(x <= 1.5 for x in rat)}/{len(rat)}")
