package benchmarks

import (
	"fmt"
	"testing"

	"github.com/autonl-go/autonl/tensor"
)

// pointwiseShapes are MobileNetV2 1.0's 1×1 convolutions at 224×224 (one
// of each distinct shape): input channels, output channels, map side.
var pointwiseShapes = []struct{ cin, cout, side int }{
	{32, 16, 112}, {16, 96, 112}, {96, 24, 56}, {24, 144, 56}, {144, 24, 56},
	{144, 32, 28}, {32, 192, 28}, {192, 32, 28}, {192, 64, 14}, {64, 384, 14},
	{384, 64, 14}, {384, 96, 14}, {96, 576, 14}, {576, 96, 14}, {576, 160, 7},
	{160, 960, 7}, {960, 160, 7}, {960, 320, 7}, {320, 1280, 7},
}

// BenchmarkPointwise runs MobileNetV2's 1×1 convolutions at batch 8 as the
// fused inference path does (tensor.Conv2DFused with a batch-norm and
// ReLU6 epilogue), one case per shape, named cin_cout_side.
func BenchmarkPointwise(b *testing.B) {
	const batch = 8
	for _, s := range pointwiseShapes {
		b.Run(fmt.Sprintf("%dto%d_%dx%d_n%d", s.cin, s.cout, s.side, s.side, batch), func(b *testing.B) {
			x, w := randn(batch, s.cin, s.side, s.side), randn(s.cout, s.cin, 1, 1)
			ones := tensor.Full(1, s.cout)
			ep := tensor.NewBatchNormEpilogue(ones, randn(s.cout), randn(s.cout), ones, 1e-5, 0, 6)
			for b.Loop() {
				tensor.Release(tensor.Conv2DFused(x, w, tensor.Conv2DConfig{}, ep))
			}
			reportGFLOPS(b, 2*float64(batch*s.side*s.side)*float64(s.cin*s.cout))
		})
	}
}
