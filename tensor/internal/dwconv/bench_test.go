package dwconv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchVariants runs f as a sub-benchmark with each assembly variant the
// CPU runs in use (all variants where there is none).
func benchVariants(b *testing.B, f func(b *testing.B)) {
	names := Variants()
	if len(names) > 1 {
		names = names[:len(names)-1] // the twins are the specification, not a contender
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			defer Use(Use(name))
			f(b)
		})
	}
}

// planeGrids are the vectors of a 56×56 output plane with 7 vectors per
// row over a padded input plane of 58 columns, along rows and down
// columns.
var planeGrids = []struct {
	name string
	g    Grid
}{
	{"rows", Grid{Vecs: 7, Rows: 56, XStep: Lanes, XRow: 58, YStep: Lanes, YRow: 7 * Lanes}},
	{"columns", Grid{Vecs: 56, Rows: 7, XStep: 58, XRow: Lanes, YStep: 7 * Lanes, YRow: Lanes}},
}

// plane3x3 returns a 60-row padded plane of ldx = 58 columns and the
// weights and tap offsets of a 3×3 stride-1 kernel over it.
func plane3x3(rng *rand.Rand) (x, w []float32, offs []int32) {
	const ldx = 58
	x = randSlice(rng, 60*ldx)
	w, offs = make([]float32, 9), make([]int32, 9)
	for p := range 3 {
		for q := range 3 {
			w[p*3+q], offs[p*3+q] = 0.5, int32(p*ldx+q)
		}
	}
	return x, w, offs
}

// BenchmarkTaps runs a 3×3 stride-1 tap kernel over a 56×56 plane held in
// L1/L2, vectors along rows and down columns.
func BenchmarkTaps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const ho, nvec = 56, 7
	x, w, offs := plane3x3(rng)
	y := make([]float32, ho*nvec*Lanes)
	for _, c := range planeGrids {
		b.Run(c.name, func(b *testing.B) {
			benchVariants(b, func(b *testing.B) {
				for b.Loop() {
					Taps(y, x, w, offs, c.g, false)
				}
				b.ReportMetric(2*9*ho*nvec*Lanes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// BenchmarkGradTaps accumulates the 9 taps of a 3×3 weight gradient over
// a 56×56 plane held in L1/L2, vectors along rows and down columns.
func BenchmarkGradTaps(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const ho, nvec = 56, 7
	x, _, offs := plane3x3(rng)
	ioffs := make([]int, len(offs))
	for i, o := range offs {
		ioffs[i] = int(o)
	}
	dy := randSlice(rng, ho*nvec*Lanes)
	sums := make([]float32, 2*9*Lanes)
	for _, c := range planeGrids {
		b.Run(c.name, func(b *testing.B) {
			benchVariants(b, func(b *testing.B) {
				for b.Loop() {
					GradTaps(sums, dy, x, ioffs, c.g)
				}
				b.ReportMetric(2*9*ho*nvec*Lanes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// BenchmarkTapsLarge runs the 3×3 kernel of BenchmarkTaps over 768 output
// planes (9.6 MB, larger than the caches), with regular and streaming
// stores.
func BenchmarkTapsLarge(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const ho, nvec, planes = 56, 7, 768
	x, w, offs := plane3x3(rng)
	y := make([]float32, planes*ho*nvec*Lanes)
	rows, cols := planeGrids[0].g, planeGrids[1].g
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
			benchVariants(b, func(b *testing.B) {
				n := ho * nvec * Lanes
				for b.Loop() {
					for p := range planes {
						c.f(y[p*n:(p+1)*n], x, w, offs, c.g, false)
					}
				}
				b.ReportMetric(4*float64(len(y))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		})
	}
}

// BenchmarkPlaneS2 runs the stride-2 plane kernels (forward, weight and
// input gradient) on 16 planes held in L2 (GFLOP/s counts 18 per output).
func BenchmarkPlaneS2(b *testing.B) {
	const np = 16
	for _, hw := range []int{112, 56, 28, 14} {
		ho := (hw + 1) / 2
		rng := rand.New(rand.NewPCG(1, 2))
		x, dy, k := randSlice(rng, np*hw*hw), randSlice(rng, np*ho*ho), randSlice(rng, 9*np)
		sums, y := make([]float32, np*GradSums), make([]float32, np*ho*ho)
		flops := func(b *testing.B) {
			b.ReportMetric(18*float64(np*ho*ho)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(fmt.Sprintf("%d/forward", hw), func(b *testing.B) {
			for b.Loop() {
				Plane3x3S2(y, x, k, hw, hw, np)
			}
			flops(b)
		})
		b.Run(fmt.Sprintf("%d/weight", hw), func(b *testing.B) {
			for b.Loop() {
				GradPlane3x3S2(sums, dy, x, hw, hw, np)
			}
			flops(b)
		})
		b.Run(fmt.Sprintf("%d/input", hw), func(b *testing.B) {
			for b.Loop() {
				GradInput3x3S2(x, dy, k, hw, hw, np)
			}
			flops(b)
		})
	}
}

// BenchmarkFlat runs FlatPlan.Run on planes held in L1/L2 (GFLOP/s counts
// 2·kh·kw per output): 3×3 kernels on 7×7, 14×14 and 28×28 planes, 7×7 on
// 14×14 and 5×5 on 56×56, whole units of FlatPlanes planes.
func BenchmarkFlat(b *testing.B) {
	for _, c := range []struct{ hw, k, np int }{{7, 3, 63}, {14, 3, 33}, {28, 3, 9}, {14, 7, 33}, {56, 5, 3}, {7, 5, 63}, {14, 5, 33}} {
		rng := rand.New(rand.NewPCG(1, 2))
		n := c.hw * c.hw
		x, k, y := randSlice(rng, c.np*n), randSlice(rng, c.np*c.k*c.k), make([]float32, c.np*n)
		b.Run(fmt.Sprintf("%dx%d_k%d", c.hw, c.hw, c.k), func(b *testing.B) {
			f := NewFlatPlan(c.hw, c.hw, c.k, c.k, c.k/2, c.k/2, false)
			if f == nil {
				b.Skip("no FlatPlan kernel")
			}
			for b.Loop() {
				f.Run(y, x, k, c.np)
			}
			b.ReportMetric(2*float64(c.np*n*c.k*c.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkFlatGrad runs FlatPlan.Grad on 3×3 kernels over planes held in
// L1/L2 (GFLOP/s counts 2·9 per output): 7×7, 14×14 and 28×28 planes.
func BenchmarkFlatGrad(b *testing.B) {
	for _, c := range []struct{ hw, np int }{{7, 63}, {14, 33}, {28, 9}} {
		rng := rand.New(rand.NewPCG(1, 2))
		n := c.hw * c.hw
		x, dy, sums := randSlice(rng, c.np*n), randSlice(rng, c.np*n), make([]float32, c.np*FlatGradSums(9))
		b.Run(fmt.Sprintf("%dx%d_k3", c.hw, c.hw), func(b *testing.B) {
			f := NewFlatGradPlan(c.hw, c.hw, 3, 3, 1, 1)
			for b.Loop() {
				f.Grad(sums, dy, x, c.np)
			}
			b.ReportMetric(2*float64(c.np*n*9)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkNarrowS2 runs Plane3x3S2 and GradNarrow3x3S2 on 14×14 planes
// held in L1/L2 (GFLOP/s counts 2·9 per output).
func BenchmarkNarrowS2(b *testing.B) {
	const h, w, np = 14, 14, 64
	rng := rand.New(rand.NewPCG(1, 2))
	ho, wo := (h+1)/2, (w+1)/2
	x, dy, k := randSlice(rng, np*h*w), randSlice(rng, np*ho*wo), randSlice(rng, 9*np)
	y, sums := make([]float32, np*ho*wo), make([]float32, np*GradSums)
	flops := func(b *testing.B) {
		b.ReportMetric(2*9*float64(np*ho*wo)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		if !HasPlane3x3S2(w) {
			b.Skip("no Plane3x3S2 kernel")
		}
		for b.Loop() {
			Plane3x3S2(y, x, k, h, w, np)
		}
		flops(b)
	})
	b.Run("weight", func(b *testing.B) {
		for b.Loop() {
			GradNarrow3x3S2(sums, dy, x, h, w, np)
		}
		flops(b)
	})
}
