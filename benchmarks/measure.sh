#!/usr/bin/env bash
# Re-measures every table of benchmarks/README.md on this machine: the
# kernel tables with 1 and 2 threads (GEMM, convolutions, depthwise, batch
# norm) against PyTorch and OpenBLAS measured right after them, the
# depthwise and batch-norm target cases and GEMM 1024² with the AVX2
# kernels forced (on an AVX-512 machine), and MobileNetV2. It records the
# CPU (model, family, flags), the kernel variants in use and the load
# average before and after each part, since figures from a loaded machine
# are not comparable. Never run two benchmarks at once: run this alone.
#
#	bash benchmarks/measure.sh            # all, about 10 minutes on 2 cores
#	PARTS="kernels" bash benchmarks/measure.sh
#
# PARTS is a space-separated subset of: kernels avx2 mobilenetv2 (which
# also runs AutoNL-S, and both in ONNX Runtime through benchmarks/ort.js,
# with npm onnxruntime-node from interop/install.sh).
# Output goes to OUT (default benchmarks/results/<date>): raw Go and
# reference outputs and tables.md, the Markdown tables.
#
# Needs Debian's python3-torch, python3-torchvision, python3-numpy,
# python3-threadpoolctl and libopenblas0-pthread for the reference (run
# with /usr/bin/python3); the script installs those that are missing
# with apt-get. reference.py refuses to measure, and this script stops,
# when its BLAS reference is implausibly far below the machine's peak
# (measured here by BenchmarkPeak and passed to it).
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${PARTS:-"kernels avx2 mobilenetv2"}
py=/usr/bin/python3

if ! $py -c 'import torch, torchvision, numpy, threadpoolctl' 2>/dev/null ||
	! [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
	echo "measure.sh: installing Debian python3-torch, python3-torchvision, python3-numpy, python3-threadpoolctl, libopenblas0-pthread"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		python3-torch python3-torchvision python3-numpy python3-threadpoolctl libopenblas0-pthread >/dev/null
fi
# The peak of t threads, GFLOP/s: the widest FMA loop of BenchmarkPeak
# run on t goroutines at once (fma_*_all), as table.py takes it.
peak() { GOMAXPROCS=$1 go test ./benchmarks -run '^$' -bench 'Peak/fma_.*_all' -benchtime 0.2s | grep -o '[0-9.]* GFLOP/s' | sort -n | tail -1 | cut -d' ' -f1; }
OUT=${OUT:-benchmarks/results/$(date +%Y%m%d-%H%M)}
mkdir -p "$OUT"
md="$OUT/tables.md"

load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date +%H:%M:%S)"; }

{
	echo "# Benchmark tables ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD))"
	echo
	echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model\s*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(nproc) CPUs; go reports \"$(go test -run '^$' -bench 'Peak/clock$' -benchtime 1x ./benchmarks 2>/dev/null | grep '^cpu:' | cut -d' ' -f2- | sed 's/ *$//')\"."
	echo
	echo "SIMD flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512dq|avx512bw|avx512vl|avx512_bf16|avx512_vnni)$' | tr '\n' ' ')"
	echo
	echo "Kernels in use: GEMM $(go test -count=1 -v -run 'TestKernelSelection' ./tensor/internal/gemm | grep -o 'kernel in use: [a-z0-9_]*' | cut -d' ' -f4), depthwise $(go test -count=1 -v -run 'TestTapsMatchesGeneric$' ./tensor/internal/dwconv | grep -o 'kernel: [a-z0-9]*' | head -1 | cut -d' ' -f2), batch norm $(go test -count=1 -v -run 'TestElementwiseMatchTwins$' ./tensor/internal/vec | grep -o 'kernels: [a-z0-9]*' | head -1 | cut -d' ' -f2); $(go version | cut -d' ' -f3-); $($py -c 'import torch; print("torch", torch.__version__)')."
	echo
} > "$md"

kernels='Peak|MatMul|Conv2D|Depthwise|BatchNorm'
if [[ " $PARTS " == *" kernels "* ]]; then
	for t in 1 2; do
		echo "## Kernels, $t thread(s)" >> "$md"
		echo >> "$md"
		echo "Go: $(load)" >> "$md"
		GOMAXPROCS=$t go test ./benchmarks -run '^$' -bench "$kernels" -count 5 -benchtime 0.2s > "$OUT/go$t.txt"
		echo "Go done, reference: $(load)" >> "$md"
		$py benchmarks/reference.py --threads $t --peak "$(peak $t)" --skip MobileNetV2 > "$OUT/ref$t.txt"
		echo "reference done: $(load)" >> "$md"
		echo >> "$md"
		$py benchmarks/table.py "$OUT/go$t.txt" "$OUT/ref$t.txt" $t >> "$md"
		echo >> "$md"
	done
fi

if [[ " $PARTS " == *" avx2 "* ]]; then
	# The AVX2 kernels on this machine, against the best ones, interleaved.
	cases='Peak/clock|Depthwise/k3_c96_56x56_s1_n8|BatchNorm|MatMul/square1024'
	echo "## AVX2 kernels forced, 2 threads" >> "$md"
	echo >> "$md"
	echo "start: $(load)" >> "$md"
	: > "$OUT/go2-best.txt"
	: > "$OUT/go2-avx2.txt"
	for round in 1 2 3 4 5 6 7 8; do
		GOMAXPROCS=2 go test ./benchmarks -run '^$' -bench "$cases" -count 1 -benchtime 0.2s >> "$OUT/go2-best.txt"
		AUTONL_SIMD=avx2 AUTONL_GEMM_KERNEL=avx2_6x16 GOMAXPROCS=2 go test ./benchmarks -run '^$' -bench "$cases" -count 1 -benchtime 0.2s >> "$OUT/go2-avx2.txt"
	done
	echo "end: $(load)" >> "$md"
	echo >> "$md"
	echo '```' >> "$md"
	(cd "$OUT" && go run golang.org/x/perf/cmd/benchstat@latest go2-avx2.txt go2-best.txt) >> "$md"
	echo '```' >> "$md"
	echo >> "$md"
fi

if [[ " $PARTS " == *" mobilenetv2 "* ]]; then
	# MobileNetV2 and AutoNL-S: ours, PyTorch (torchvision's MobileNetV2,
	# and AutoNL-S as python/autonl_torch.py builds it from our export) and
	# ONNX Runtime on the networks autonl export writes.
	go run ./cmd/autonl export -model autonl-s -format safetensors -o "$OUT/autonl-s.safetensors" >/dev/null
	go run ./cmd/autonl export -model mobilenetv2 -o "$OUT/mobilenetv2.onnx" >/dev/null
	go run ./cmd/autonl export -model autonl-s -o "$OUT/autonl-s.onnx" >/dev/null
	bash interop/install.sh >/dev/null
	echo "## MobileNetV2 and AutoNL-S, 2 threads" >> "$md"
	echo >> "$md"
	echo "Go: $(load)" >> "$md"
	# 2 s per case: the first inferences after a network is built page-fault
	# in fresh memory, and a few of them measure that, not the steady state
	# (benchmarks/README.md, the inf3 round).
	GOMAXPROCS=2 go test ./benchmarks -run '^$' -bench 'MobileNetV2|AutoNLS' -benchtime 2s -count 3 -benchmem > "$OUT/go2-mnv2.txt"
	echo "Go done, reference: $(load)" >> "$md"
	$py benchmarks/reference.py --threads 2 --peak "$(peak 2)" --only MobileNetV2 --repeat 5 > "$OUT/ref2-mnv2.txt"
	$py benchmarks/reference.py --threads 2 --peak "$(peak 2)" --only AutoNLS --autonl-s "$OUT/autonl-s.safetensors" --repeat 5 | grep -v '^#' >> "$OUT/ref2-mnv2.txt"
	echo "reference done, ONNX Runtime: $(load)" >> "$md"
	node benchmarks/ort.js 2 MobileNetV2="$OUT/mobilenetv2.onnx" AutoNLS="$OUT/autonl-s.onnx" > "$OUT/ort2.txt"
	echo "ONNX Runtime done: $(load)" >> "$md"
	echo >> "$md"
	cat "$OUT/ort2.txt" >> "$OUT/ref2-mnv2.txt"
	$py benchmarks/table.py "$OUT/go2-mnv2.txt" "$OUT/ref2-mnv2.txt" 2 >> "$md"
	echo >> "$md"
fi
echo "tables in $md"
