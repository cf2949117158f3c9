package benchmarks

import (
	"fmt"
	"testing"

	"github.com/autonl-go/autonl/tensor"
)

// bnCases are batch-norm inputs of MobileNetV2 layers, batch 8.
var bnCases = [][4]int{{8, 96, 112, 112}, {8, 144, 56, 56}, {8, 576, 14, 14}}

// BenchmarkBatchNorm runs training-mode batch norm forward (statistics and
// normalisation) and backward, reporting GB/s of compulsory traffic: x read
// and y written forward; dy and x read and dx written backward.
func BenchmarkBatchNorm(b *testing.B) {
	for _, s := range bnCases {
		name := fmt.Sprintf("c%d_%dx%d_n%d", s[1], s[2], s[3], s[0])
		x := randn(s[:]...)
		gamma, beta := randn(s[1]), randn(s[1])
		elems := float64(s[0] * s[1] * s[2] * s[3])
		b.Run(name+"/forward", func(b *testing.B) {
			for b.Loop() {
				y, _ := tensor.BatchNormTrain(x, gamma, beta, 1e-5)
				tensor.Release(y)
			}
			b.ReportMetric(8*elems*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		y, st := tensor.BatchNormTrain(x, gamma, beta, 1e-5)
		b.Run(name+"/backward", func(b *testing.B) {
			for b.Loop() {
				dx, dg, db := tensor.BatchNormGrad(y, x, gamma, st)
				tensor.Release(dx)
				tensor.Release(dg)
				tensor.Release(db)
			}
			b.ReportMetric(12*elems*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
