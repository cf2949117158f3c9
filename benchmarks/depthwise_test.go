package benchmarks

import (
	"fmt"
	"testing"

	"github.com/autonl-go/autonl/tensor"
)

// dwCase is a depthwise 3×3 (or k×k) convolution with padding k/2.
type dwCase struct {
	n, c, h, w, k, s int
}

func (d dwCase) name() string {
	return fmt.Sprintf("k%d_c%d_%dx%d_s%d_n%d", d.k, d.c, d.h, d.w, d.s, d.n)
}

func (d dwCase) params() tensor.Conv2DConfig {
	return tensor.Conv2DConfig{Stride: [2]int{d.s, d.s}, Padding: [2]int{d.k / 2, d.k / 2}, Groups: d.c}
}

func (d dwCase) out() (ho, wo int) {
	return (d.h+2*(d.k/2)-d.k)/d.s + 1, (d.w+2*(d.k/2)-d.k)/d.s + 1
}

// flops counts 2·k² operations per output element.
func (d dwCase) flops() float64 {
	ho, wo := d.out()
	return 2 * float64(d.n*d.c*ho*wo*d.k*d.k)
}

// bytes counts the compulsory traffic of one pass: the input and output
// planes of the operation, read or written once.
func (d dwCase) bytes() float64 {
	ho, wo := d.out()
	return 4 * float64(d.n*d.c*(d.h*d.w+ho*wo))
}

// dwCases are the depthwise layers of MobileNetV2 at 224×224 (expansion
// 6: 96 channels at 112×112 down to 960 at 7×7), batch 8, the case of the
// speed target (96 channels, 56×56, batch 8), and 5×5 and 7×7 kernels
// (among them AutoNL-S's on 14×14 and 7×7 maps).
var dwCases = []dwCase{
	{8, 32, 112, 112, 3, 1},
	{8, 96, 112, 112, 3, 2},
	{8, 96, 56, 56, 3, 1},
	{8, 144, 56, 56, 3, 1},
	{8, 144, 56, 56, 3, 2},
	{8, 192, 28, 28, 3, 1},
	{8, 192, 28, 28, 3, 2},
	{8, 384, 14, 14, 3, 1},
	{8, 576, 14, 14, 3, 2},
	{8, 960, 7, 7, 3, 1},
	{8, 144, 56, 56, 5, 1},
	{8, 240, 14, 14, 7, 1},
	// AutoNL-S's stride-1 5×5 layers on 14×14 and 7×7 maps.
	{8, 480, 14, 14, 5, 1},
	{8, 576, 7, 7, 5, 1},
}

func reportDW(b *testing.B, d dwCase) {
	reportGFLOPS(b, d.flops())
	b.ReportMetric(d.bytes()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkDepthwise runs depthwise convolutions forward, and their input
// and weight gradients (counting the forward's operations and the traffic
// of its input and output).
func BenchmarkDepthwise(b *testing.B) {
	for _, d := range dwCases {
		x, w := randn(d.n, d.c, d.h, d.w), randn(d.c, 1, d.k, d.k)
		ho, wo := d.out()
		dy := randn(d.n, d.c, ho, wo)
		p := d.params()
		b.Run(d.name()+"/forward", func(b *testing.B) {
			for b.Loop() {
				tensor.Release(tensor.Conv2D(x, w, p))
			}
			reportDW(b, d)
		})
		b.Run(d.name()+"/input", func(b *testing.B) {
			for b.Loop() {
				tensor.Release(tensor.Conv2DGradInput(dy, w, x.Shape(), p))
			}
			reportDW(b, d)
		})
		b.Run(d.name()+"/weight", func(b *testing.B) {
			for b.Loop() {
				tensor.Release(tensor.Conv2DGradWeight(x, dy, w.Shape(), p))
			}
			reportDW(b, d)
		})
	}
}
