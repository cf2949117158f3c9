package benchmarks

import (
	"runtime"
	"sort"
	"sync"
	"testing"
)

// BenchmarkPeak measures the machine's limits: the clock of one core (a
// chain of dependent register-register integer additions, one per cycle)
// in GHz; the rate of independent fused multiply-adds of one goroutine,
// in GFLOP/s, for each vector width the CPU runs (fma_avx2, fma_avx512);
// and the same loops run by GOMAXPROCS goroutines at once (fma_*_all,
// their summed rate), since a core's clock may drop when all cores run
// wide vectors. Share of peak in benchmarks/README.md (table.py) is
// relative to the widest fma_*_all rate at the table's thread count.
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
	for _, n := range names {
		b.Run("fma_"+n+"_all", func(b *testing.B) {
			procs := runtime.GOMAXPROCS(0)
			for b.Loop() {
				var wg sync.WaitGroup
				for range procs {
					wg.Go(func() { fma[n](iters) })
				}
				wg.Wait()
			}
			reportGFLOPS(b, flop[n]*iters*float64(procs))
		})
	}
}
