import sys, re, subprocess, collections
binary, prof = sys.argv[1], sys.argv[2]
out = subprocess.run(["go","tool","pprof","-traces",binary,prof],capture_output=True,text=True).stdout
blocks = out.split("-----------+-------------------------------------------------------")
rules = [  # (class, regex on leaf-to-root frames); first frame matching any rule, searching from leaf
 ("setup (net build, not inference)", r"models\.New|models\.MobileNetV2\b|nn\.FillUniform|optim\.|newMNV2|tensor\.Normal"),
 ("gemm: pack B (activations)", r"gemm\.packB"),
 ("gemm: pack A (weights)", r"gemm\.packA"),
 ("gemm: edge tiles/cols", r"gemm\.\(\*gemmArgs\)\.edgeTile|gemm\.cols12|gemm\.sgemmCols|gemm\.sgemmPanels12x16"),
 ("gemm: epilogue (aff/swish after)", r"gemm\.\(\*gemmArgs\)\.epilogue"),
 ("gemm: kernels", r"gemm\.sgemm"),
 ("gemm: gemv/dot", r"gemm\.gemv|gemm\.dot"),
 ("im2col (stem)", r"im2col"),
 ("depthwise", r"dwconv\.|tensor\.depthwise|tensor\.dw"),
 ("lightnl", r"lightnl\."),
 ("epilogue (non-gemm)", r"ConvEpilogue|vec\.Swish|vec\.norm|vec\.Normalize"),
 ("BN epilogue build", r"NewBatchNormEpilogue"),
 ("alloc/clear/copy", r"runtime\.memclr|runtime\.memmove|runtime\.mallocgc|tensor\.newOut|tensor\.Release|getScratch"),
 ("parallel/sched overhead", r"parallel\.|runtime\.(chanrecv|futex|selectnb|lock|park|schedule|findRunnable|mcall|gopark|empty|pidle|notesleep|stealWork)"),
]
tot = collections.Counter(); total=0
for b in blocks:
    lines=[l for l in b.strip().split("\n") if l.strip()]
    if not lines: continue
    m=re.match(r"\s*([\d.]+)(ms|s)\s+(.*)",lines[0])
    if not m: continue
    v=float(m.group(1))*(1 if m.group(2)=="ms" else 1000)
    frames=[m.group(3).strip()]+[l.strip() for l in lines[1:]]
    cls="other"
    # setup check first on the whole stack
    if any(re.search(rules[0][1],f) for f in frames): cls=rules[0][0]
    else:
      for f in frames:
        hit=None
        for c,r in rules[1:]:
            if re.search(r,f): hit=c;break
        if hit: cls=hit;break
    tot[cls]+=v; total+=v
inf = total - tot["setup (net build, not inference)"]
for c,v in tot.most_common():
    print(f"{c:40s} {v/1000:7.2f}s  {100*v/inf if 'setup' not in c else 0:5.1f}% of inference")
