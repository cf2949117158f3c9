package dwconv

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkTaps runs a 3×3 stride-1 tap kernel over a 56×56 plane held in
// L1/L2, vectors along rows and down columns.
func BenchmarkTaps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const ho, nvec, ldx = 56, 7, 58
	x := randSlice(rng, 60*ldx)
	y := make([]float32, ho*nvec*Lanes)
	w, offs := make([]float32, 9), make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			w[p*3+q], offs[p*3+q] = 0.5, int32(p*ldx+q)
		}
	}
	for _, c := range []struct {
		name string
		g    Grid
	}{
		{"rows", Grid{Vecs: nvec, Rows: ho, XStep: Lanes, XRow: ldx, YStep: Lanes, YRow: nvec * Lanes}},
		{"columns", Grid{Vecs: ho, Rows: nvec, XStep: ldx, XRow: Lanes, YStep: nvec * Lanes, YRow: Lanes}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Taps(y, x, w, offs, c.g, false)
			}
			b.ReportMetric(2*9*ho*nvec*Lanes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkTapsLarge runs the 3×3 kernel of BenchmarkTaps over 768 output
// planes (9.6 MB, larger than the caches), with regular and streaming
// stores.
func BenchmarkTapsLarge(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const ho, nvec, ldx, planes = 56, 7, 58, 768
	x := randSlice(rng, 60*ldx)
	y := make([]float32, planes*ho*nvec*Lanes)
	w, offs := make([]float32, 9), make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			w[p*3+q], offs[p*3+q] = 0.5, int32(p*ldx+q)
		}
	}
	rows := Grid{Vecs: nvec, Rows: ho, XStep: Lanes, XRow: ldx, YStep: Lanes, YRow: nvec * Lanes}
	cols := Grid{Vecs: ho, Rows: nvec, XStep: ldx, XRow: Lanes, YStep: nvec * Lanes, YRow: Lanes}
	for _, c := range []struct {
		name string
		g    Grid
		f    func(y, x, w []float32, offs []int32, g Grid, acc bool)
	}{
		{"columns", cols, Taps},
		{"rows", rows, Taps},
		{"rows-stream", rows, TapsStream},
		{"columns-stream", cols, TapsStream},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := ho * nvec * Lanes
			for b.Loop() {
				for p := range planes {
					c.f(y[p*n:(p+1)*n], x, w, offs, c.g, false)
				}
			}
			b.ReportMetric(4*float64(len(y))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
