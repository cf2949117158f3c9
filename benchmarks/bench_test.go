package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autonl-go/autonl/tensor"
)

// reportGFLOPS reports the rate of a benchmark whose every iteration
// performs flops floating-point operations.
func reportGFLOPS(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func randn(shape ...int) *tensor.Tensor {
	return tensor.Normal(rand.New(rand.NewPCG(1, 2)), 0, 1, shape...)
}

// BenchmarkMatMul multiplies an M×K by a K×N matrix: squares, then the 1×1
// convolutions of MobileNetV2 written as W[Cout×Cin]·X[Cin×HW].
func BenchmarkMatMul(b *testing.B) {
	shapes := []struct {
		name    string
		m, k, n int
	}{
		{"square128", 128, 128, 128},
		{"square256", 256, 256, 256},
		{"square512", 512, 512, 512},
		{"square1024", 1024, 1024, 1024},
		{"mnv2_16x32x12544", 16, 32, 12544},
		{"mnv2_96x16x12544", 96, 16, 12544},
		{"mnv2_24x144x3136", 24, 144, 3136},
		{"mnv2_144x24x3136", 144, 24, 3136},
		{"mnv2_192x32x784", 192, 32, 784},
		{"mnv2_384x64x196", 384, 64, 196},
		{"mnv2_960x160x49", 960, 160, 49},
		{"mnv2_1280x320x49", 1280, 320, 49},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			a, x := randn(s.m, s.k), randn(s.k, s.n)
			for b.Loop() {
				tensor.Release(tensor.MatMul(a, x, false, false))
			}
			reportGFLOPS(b, 2*float64(s.m)*float64(s.n)*float64(s.k))
		})
	}
}

type convBench struct {
	name       string
	n, c, h, w int
	cout       int
	k          int
	p          tensor.Conv2DConfig
}

func (cb convBench) flops() float64 {
	out := tensor.Conv2DOutputShape([]int{cb.n, cb.c, cb.h, cb.w}, cb.weightShape(), cb.p)
	return 2 * float64(cb.n*cb.cout*out[2]*out[3]) * float64(cb.weightShape()[1]*cb.k*cb.k)
}

func (cb convBench) weightShape() []int {
	g := max(cb.p.Groups, 1)
	return []int{cb.cout, cb.c / g, cb.k, cb.k}
}

var convBenches = []convBench{
	{name: "dense3x3_32to32_56x56", n: 1, c: 32, h: 56, w: 56, cout: 32, k: 3, p: tensor.Conv2DConfig{Padding: [2]int{1, 1}}},
	{name: "depthwise3x3_144_56x56_s1", n: 1, c: 144, h: 56, w: 56, cout: 144, k: 3,
		p: tensor.Conv2DConfig{Padding: [2]int{1, 1}, Groups: 144}},
	{name: "depthwise3x3_144_56x56_s2", n: 1, c: 144, h: 56, w: 56, cout: 144, k: 3,
		p: tensor.Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 144}},
	{name: "pointwise1x1_144to24_56x56", n: 1, c: 144, h: 56, w: 56, cout: 24, k: 1},
	{name: "dense3x3_32to32_56x56_batch8", n: 8, c: 32, h: 56, w: 56, cout: 32, k: 3, p: tensor.Conv2DConfig{Padding: [2]int{1, 1}}},
}

// BenchmarkConv2D runs the forward convolution of MobileNetV2-like layers.
func BenchmarkConv2D(b *testing.B) {
	for _, cb := range convBenches {
		b.Run(cb.name, func(b *testing.B) {
			x, w := randn(cb.n, cb.c, cb.h, cb.w), randn(cb.weightShape()...)
			for b.Loop() {
				tensor.Release(tensor.Conv2D(x, w, cb.p))
			}
			reportGFLOPS(b, cb.flops())
		})
	}
}

// BenchmarkConv2DBackward runs the input and weight gradients of the same
// layers; each counts the forward's operations.
func BenchmarkConv2DBackward(b *testing.B) {
	for _, cb := range convBenches {
		x, w := randn(cb.n, cb.c, cb.h, cb.w), randn(cb.weightShape()...)
		dy := randn(tensor.Conv2DOutputShape(x.Shape(), w.Shape(), cb.p)...)
		b.Run(fmt.Sprintf("%s/input", cb.name), func(b *testing.B) {
			for b.Loop() {
				tensor.Release(tensor.Conv2DGradInput(dy, w, x.Shape(), cb.p))
			}
			reportGFLOPS(b, cb.flops())
		})
		b.Run(fmt.Sprintf("%s/weight", cb.name), func(b *testing.B) {
			for b.Loop() {
				tensor.Release(tensor.Conv2DGradWeight(x, dy, w.Shape(), cb.p))
			}
			reportGFLOPS(b, cb.flops())
		})
	}
}
