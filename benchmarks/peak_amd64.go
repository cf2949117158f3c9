//go:build amd64 && !purego

package benchmarks

import "golang.org/x/sys/cpu"

//go:noescape
func fmaLoopAVX2(n int)

//go:noescape
func fmaLoopAVX512(n int)

//go:noescape
func addChain(n int)

// peakLoops returns the FMA loops this CPU runs with the FLOP per
// iteration, and the clock loop with its cycles per iteration.
func peakLoops() (fma map[string]func(int), flopPerIter map[string]float64, clock func(int), cyclesPerIter float64) {
	fma, flopPerIter = map[string]func(int){}, map[string]float64{}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		fma["avx2"], flopPerIter["avx2"] = fmaLoopAVX2, 192
	}
	if cpu.X86.HasAVX512F {
		fma["avx512"], flopPerIter["avx512"] = fmaLoopAVX512, 768
	}
	return fma, flopPerIter, addChain, 8
}
