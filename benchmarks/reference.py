#!/usr/bin/python3
"""Reference timings for autonl's benchmarks: the same cases in PyTorch
(NCHW and channels_last) and GEMM in OpenBLAS through numpy.

Run with Debian's Python (python3-torch, python3-torchvision,
python3-numpy, python3-threadpoolctl, libopenblas0-pthread):

    /usr/bin/python3 benchmarks/reference.py --threads 1
    /usr/bin/python3 benchmarks/reference.py --threads 2 --peak 414

--threads should equal the GOMAXPROCS of the Go run it is compared with.

The reference must be honest. The environment may set OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE, which force OpenBLAS onto kernels and blockings that
do not fit the CPU; without libopenblas0-pthread, numpy and PyTorch run
the reference BLAS (a few GFLOP/s). So the script clears both variables
together before numpy and torch are imported and sets the core type that
fits the CPU (OpenBLAS 0.3.21 does not know recent CPUs: SkylakeX, its
AVX-512 kernels, where the CPU has AVX-512F, else Haswell, the AVX2 ones),
prints which BLAS and kernel numpy and PyTorch run (threadpoolctl,
torch.__config__.show(), and oneDNN's instruction set), and measures a
1024² GEMM first. If the best of OpenBLAS and PyTorch there is below
--min-share (default 0.3) of the machine's peak, --peak GFLOP/s for all
threads (measure.sh passes the widest FMA rate of BenchmarkPeak run on that
many threads at once, fma_*_all; without it the script runs that benchmark itself), it prints no table
and exits with status 3: every "ours / reference" ratio of such a run
would be meaningless. table.py refuses reference files without the
"# reference plausible" line.

Each line gives the case, the median time of --repeat runs and the rate
in GFLOP/s (or GB/s), named like the Go benchmarks.
"""
import argparse
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--repeat", type=int, default=5)
ap.add_argument("--only", default="", help="run only cases whose name contains this")
ap.add_argument("--skip", default="", help="skip cases whose name contains this")
ap.add_argument("--peak", type=float, default=0,
                help="the machine's peak GFLOP/s for --threads threads (default: measured by BenchmarkPeak)")
ap.add_argument("--autonl-s", default="",
                help="network file of AutoNL-S (autonl export -model autonl-s -format safetensors) to time with "
                     "python/autonl_torch.py")
ap.add_argument("--min-share", type=float, default=0.3,
                help="least share of --peak the 1024² GEMM reference must reach")
args = ap.parse_args()

flags = open("/proc/cpuinfo").read()
avx512 = re.search(r"\bavx512f\b", flags) is not None
# Cleared together: either one alone leaves OpenBLAS crippled.
cleared = {k: os.environ.pop(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
os.environ["OPENBLAS_CORETYPE"] = "SkylakeX" if avx512 else "Haswell"
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402
import threadpoolctl  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)


def timeit(f, min_time=0.2):
    """Median seconds per call over args.repeat batches of calls."""
    f()
    f()
    t0 = time.perf_counter()
    f()
    once = max(time.perf_counter() - t0, 1e-6)
    n = max(1, int(min_time / once))
    meds = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        meds.append((time.perf_counter() - t0) / n)
    meds.sort()
    return meds[len(meds) // 2]


def report(name, sec, flops=None, nbytes=None):
    if not want(name):
        return
    parts = [f"{name:<58s}", f"{sec * 1e3:10.3f} ms"]
    if flops is not None:
        parts.append(f"{flops / sec / 1e9:9.2f} GFLOP/s")
    if nbytes is not None:
        parts.append(f"{nbytes / sec / 1e9:9.2f} GB/s")
    print("  ".join(parts), flush=True)


def want(name):
    return (not args.only or args.only in name) and not (args.skip and args.skip in name)


def measured_peak():
    """The widest FMA rate of BenchmarkPeak run on --threads goroutines at
    once (fma_*_all)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(["go", "test", "./benchmarks", "-run", "^$", "-bench", "Peak/fma_.*_all", "-benchtime", "0.2s"],
                         cwd=root, capture_output=True, text=True, env=dict(os.environ, GOMAXPROCS=str(args.threads))).stdout
    rates = [float(v) for v in re.findall(r"([\d.]+) GFLOP/s", out)]
    if not rates:
        sys.exit("reference.py: cannot measure the peak with BenchmarkPeak; pass --peak")
    return max(rates)


def onednn_isa():
    """The instruction set oneDNN (PyTorch's convolutions) dispatches to."""
    code = "import torch; torch.set_num_threads(1); torch.nn.functional.conv2d(torch.ones(8,32,56,56), torch.ones(32,32,3,3))"
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")).stdout
    m = re.search(r"isa:([^,\n]*)", out)
    return m.group(1).strip() if m else "unknown"


print(f"# torch {torch.__version__}, numpy {np.__version__}, threads {args.threads}, "
      f"cleared {cleared or 'nothing'}, set OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}")
blas = [d for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas"]
for d in blas:
    print(f"# BLAS: {d['internal_api']} {d.get('version')} kernel {d.get('architecture')}, "
          f"{d['num_threads']} threads, {d['filepath']}")
cap = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
print(f"# PyTorch: ATen CPU capability {cap.group(1) if cap else 'unknown'}, oneDNN ISA {onednn_isa()}, "
      f"{torch.get_num_threads()} threads")
if not any(d["internal_api"] == "openblas" for d in blas):
    print("reference.py: numpy does not run OpenBLAS (install libopenblas0-pthread): no table", file=sys.stderr)
    sys.exit(3)

# The plausibility gate: a 1024² GEMM in OpenBLAS and PyTorch against the
# machine's peak.
peak = args.peak or measured_peak()
ga, gb = torch.randn(1024, 1024), torch.randn(1024, 1024)
gan, gbn = ga.numpy(), gb.numpy()
gcn = np.empty((1024, 1024), dtype=np.float32)
gemm_rate = {"openblas": 2 * 1024 ** 3 / timeit(lambda: np.matmul(gan, gbn, out=gcn)) / 1e9,
             "torch": 2 * 1024 ** 3 / timeit(lambda: torch.mm(ga, gb)) / 1e9}
best = max(gemm_rate.values())
verdict = (f"1024² GEMM OpenBLAS {gemm_rate['openblas']:.1f}, PyTorch {gemm_rate['torch']:.1f} GFLOP/s, "
           f"{best / peak:.0%} of the peak {peak:.0f} GFLOP/s ({args.threads} thread(s))")
def time_inference(name, fmt, m, x):
    """Times m(x) in eval mode under no_grad, in memory format fmt ("nchw"
    or "cl", channels_last), reports it as name/inference/torch_fmt and
    returns m and x in that format."""
    if fmt == "cl":
        m = m.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    m.eval()

    def infer():
        with torch.no_grad():
            m(x)
    sec = timeit(infer, min_time=1.0)
    report(f"{name}/inference/torch_{fmt}", sec)
    print(f"{'':58s}  {x.shape[0] / sec:10.2f} images/s", flush=True)
    return m, x


if best < args.min_share * peak:
    print(f"# reference implausible: {verdict}, below {args.min_share:.0%}", flush=True)
    print(f"reference.py: the BLAS reference is implausibly slow ({verdict}); "
          f"check OPENBLAS_* and which BLAS numpy loads: no table", file=sys.stderr)
    sys.exit(3)
print(f"# reference plausible: {verdict}", flush=True)

# GEMM: M×K times K×N (BenchmarkMatMul).
gemm = [("square128", 128, 128, 128), ("square256", 256, 256, 256), ("square512", 512, 512, 512),
        ("square1024", 1024, 1024, 1024),
        ("mnv2_16x32x12544", 16, 32, 12544), ("mnv2_96x16x12544", 96, 16, 12544),
        ("mnv2_24x144x3136", 24, 144, 3136), ("mnv2_144x24x3136", 144, 24, 3136),
        ("mnv2_192x32x784", 192, 32, 784), ("mnv2_384x64x196", 384, 64, 196),
        ("mnv2_960x160x49", 960, 160, 49), ("mnv2_1280x320x49", 1280, 320, 49)]
for name, m, k, n in gemm:
    fl = 2.0 * m * n * k
    if want("MatMul/" + name):
        a, b = torch.randn(m, k), torch.randn(k, n)
        report(f"MatMul/{name}/torch", timeit(lambda: torch.mm(a, b)), fl)
        an, bn = a.numpy(), b.numpy()
        cn = np.empty((m, n), dtype=np.float32)
        report(f"MatMul/{name}/openblas", timeit(lambda: np.matmul(an, bn, out=cn)), fl)

# Dense and pointwise convolutions (BenchmarkConv2D), batch as in Go.
convs = [("dense3x3_32to32_56x56", 1, 32, 56, 32, 3, 1), ("pointwise1x1_144to24_56x56", 1, 144, 56, 24, 1, 0),
         ("dense3x3_32to32_56x56_batch8", 8, 32, 56, 32, 3, 1)]
for name, n, c, hw, co, k, p in convs:
    fl = 2.0 * n * co * hw * hw * c * k * k
    if not want("Conv2D/" + name):
        continue
    for fmt in ("nchw", "cl"):
        x, w = torch.randn(n, c, hw, hw), torch.randn(co, c, k, k)
        if fmt == "cl":
            x, w = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
        report(f"Conv2D/{name}/torch_{fmt}", timeit(lambda: F.conv2d(x, w, padding=p)), fl)

# Depthwise convolutions (BenchmarkDepthwise): padding k/2, batch 8.
dw = [(8, 32, 112, 3, 1), (8, 96, 112, 3, 2), (8, 96, 56, 3, 1), (8, 144, 56, 3, 1), (8, 144, 56, 3, 2),
      (8, 192, 28, 3, 1), (8, 192, 28, 3, 2), (8, 384, 14, 3, 1), (8, 576, 14, 3, 2), (8, 960, 7, 3, 1),
      (8, 144, 56, 5, 1), (8, 240, 14, 7, 1), (8, 480, 14, 5, 1), (8, 576, 7, 5, 1)]
for n, c, hw, k, s in dw:
    name = f"Depthwise/k{k}_c{c}_{hw}x{hw}_s{s}_n{n}"
    if not want(name):
        continue
    p = k // 2
    ho = (hw + 2 * p - k) // s + 1
    fl = 2.0 * n * c * ho * ho * k * k
    nb = 4.0 * n * c * (hw * hw + ho * ho)
    for fmt in ("nchw", "cl"):
        x, w, dy = torch.randn(n, c, hw, hw), torch.randn(c, 1, k, k), torch.randn(n, c, ho, ho)
        if fmt == "cl":
            cl = torch.channels_last
            x, w, dy = x.contiguous(memory_format=cl), w.contiguous(memory_format=cl), dy.contiguous(memory_format=cl)
        report(f"{name}/forward/torch_{fmt}",
               timeit(lambda: F.conv2d(x, w, stride=s, padding=p, groups=c)), fl, nb)

        def bwd(mask):
            return lambda: torch.ops.aten.convolution_backward(
                dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], c, mask)
        report(f"{name}/input/torch_{fmt}", timeit(bwd([True, False, False])), fl, nb)
        report(f"{name}/weight/torch_{fmt}", timeit(bwd([False, True, False])), fl, nb)

# Batch norm, training mode (BenchmarkBatchNorm).
for n, c, hw in [(8, 96, 112), (8, 144, 56), (8, 576, 14)]:
    name = f"BatchNorm/c{c}_{hw}x{hw}_n{n}"
    if not want(name):
        continue
    el = float(n * c * hw * hw)
    for fmt in ("nchw", "cl"):
        x = torch.randn(n, c, hw, hw)
        if fmt == "cl":
            x = x.contiguous(memory_format=torch.channels_last)
        g, b = torch.randn(c), torch.randn(c)
        report(f"{name}/forward/torch_{fmt}",
               timeit(lambda: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)), nbytes=8 * el)
        xr, gr = x.clone().requires_grad_(), g.clone().requires_grad_()
        y = F.batch_norm(xr, None, None, gr, b, training=True, eps=1e-5)
        dy = torch.randn_like(y)
        report(f"{name}/backward/torch_{fmt}",
               timeit(lambda: torch.autograd.grad(y, (xr, gr), dy, retain_graph=True)), nbytes=12 * el)
# MobileNetV2 1.0 (BenchmarkMobileNetV2): torchvision's mobilenet_v2,
# inference (eval, no_grad) and a training step (forward, cross-entropy,
# backward, SGD with momentum 0.9 and weight decay 4e-5). 224×224 inputs use
# 1000 classes; 32×32 inputs 10 classes with the stem and the first strided
# stage at stride 1 (autonl's SmallInput).
for size, n in [(224, 1), (224, 8), (32, 32)]:
    name = f"MobileNetV2/{size}x{size}_n{n}"
    if not want(name):
        continue
    import torchvision  # noqa: E402
    classes = 1000 if size >= 64 else 10
    for fmt in ("nchw", "cl"):
        torch.manual_seed(0)
        m = torchvision.models.mobilenet_v2(num_classes=classes)
        if size < 64:
            m.features[0][0].stride = (1, 1)
            m.features[2].conv[1][0].stride = (1, 1)
        labels = torch.tensor([i * 7 % classes for i in range(n)])
        m, x = time_inference(name, fmt, m, torch.randn(n, 3, size, size))
        m.train()
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=4e-5)

        def train():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(m(x), labels)
            loss.backward()
            opt.step()
        sec = timeit(train, min_time=1.0)
        report(f"{name}/train/torch_{fmt}", sec)
        print(f"{'':58s}  {n / sec:10.2f} images/s", flush=True)
# AutoNL-S (BenchmarkAutoNLS): our network as python/autonl_torch.py builds
# it in PyTorch, from the file autonl export writes, inference at 224×224,
# batch 1 and 8, with the LightNL blocks' last BN γ set to 1 as in the Go
# benchmark.
if args.autonl_s and want("AutoNLS/"):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
    import autonl_torch  # noqa: E402
    for n in (1, 8):
        name = f"AutoNLS/224x224_n{n}"
        if not want(name):
            continue
        for fmt in ("nchw", "cl"):
            m, _ = autonl_torch.load(args.autonl_s)
            for pname, p in m.named_parameters():
                if pname.endswith(".bn.weight"):
                    p.data.fill_(1)
            time_inference(name, fmt, m, torch.randn(n, 3, 224, 224))
sys.exit(0)
