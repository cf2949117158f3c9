package benchmarks

import (
	"sort"
	"testing"
)

// BenchmarkPeak measures the machine's limits on one goroutine: the clock
// (a chain of dependent integer additions, one per cycle) in GHz, and the
// rate of independent fused multiply-adds, in GFLOP/s, for each vector
// width the CPU runs. Share of peak in benchmarks/README.md is relative
// to these.
func BenchmarkPeak(b *testing.B) {
	fma, flop, clock, cycles := peakLoops()
	if clock == nil {
		b.Skip("no assembly loops on this platform")
	}
	const iters = 1 << 20
	b.Run("clock", func(b *testing.B) {
		for b.Loop() {
			clock(iters)
		}
		b.ReportMetric(cycles*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GHz")
	})
	names := make([]string, 0, len(fma))
	for n := range fma {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.Run("fma_"+n, func(b *testing.B) {
			for b.Loop() {
				fma[n](iters)
			}
			reportGFLOPS(b, flop[n]*iters)
		})
	}
}
