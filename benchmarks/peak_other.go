//go:build !amd64 || purego

package benchmarks

func peakLoops() (fma map[string]func(int), flopPerIter map[string]float64, clock func(int), cyclesPerIter float64) {
	return nil, nil, nil, 0
}
