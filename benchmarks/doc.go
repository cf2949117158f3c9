// Package benchmarks holds the performance benchmarks of autonl's dense
// kernels and of a whole model; it contains no library code.
//
// Every kernel benchmark reports its arithmetic rate as a custom "GFLOP/s"
// metric, counting 2·M·N·K floating-point operations for a product of an
// M×K and a K×N matrix; a convolution counts as the product it is
// equivalent to, M = Cout, K = (C/groups)·kh·kw and N = Ho·Wo per image and
// group.
// Memory-bound kernels (depthwise convolutions, batch norm) also report
// "GB/s" of compulsory traffic: each input and output read or written once.
//
// Suites:
//
//   - BenchmarkPeak: the clock (a chain of dependent additions) and the rate
//     of independent FMAs per vector width — the machine's limits.
//   - BenchmarkMatMul: squares 128–1024 and the 1×1 convolutions of
//     MobileNetV2 as W[Cout×Cin]·X[Cin×HW].
//   - BenchmarkPointwise: every distinct 1×1 convolution of MobileNetV2
//     at 224×224, batch 8, through the fused inference path
//     (tensor.Conv2DFused with a batch-norm and ReLU6 epilogue).
//   - BenchmarkConv2D, BenchmarkConv2DBackward: a dense 3×3, depthwise 3×3
//     and a 1×1 convolution through Conv2D.
//   - BenchmarkDepthwise: the depthwise layers of MobileNetV2 (batch 8),
//     forward, input and weight gradients, plus 5×5 and 7×7 kernels.
//   - BenchmarkBatchNorm: training-mode batch norm forward and backward.
//   - BenchmarkMobileNetV2: MobileNetV2 1.0 inference and training step
//     (forward, cross-entropy, backward, SGD, ReleaseGraph) at 224×224,
//     batch 1 and 8, and at 32×32 (SmallInput, 10 classes), batch 32, in
//     images/s, with the CPU time per operation (cpu-ms/op), and for the
//     training steps the bytes allocated by the first step and per step
//     in steady state.
//   - BenchmarkAutoNLS: AutoNL-S inference at 224×224, batch 1 and 8,
//     LightNL blocks included.
//
// reference.py measures the same cases in PyTorch (NCHW and channels_last)
// and GEMM in OpenBLAS through numpy, after checking that its BLAS
// reaches a plausible share of the machine's peak; ort.js runs the
// exported MobileNetV2 and AutoNL-S in ONNX Runtime. README.md has the
// tables and the commands. Run, for example,
//
//	GOMAXPROCS=1 go test ./benchmarks -run '^$' -bench . -count 5 -benchtime 0.2s > go1.txt
//	go run golang.org/x/perf/cmd/benchstat@latest go1.txt
//	/usr/bin/python3 benchmarks/reference.py --threads 1
//
// bash benchmarks/measure.sh runs all of it and writes every table of
// README.md, with the CPU and the load average, to benchmarks/results/.
// On a shared machine, compare results only between runs made under the
// same load.
package benchmarks
