package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackedMatchesSgemm checks that SgemmPacked gives what
// SgemmBatchNEpilogue gives from the matrix it was packed from, bit for
// bit, with every kernel and register tile and through every driver: the
// shapes of runCols, runNarrow and the block driver (with k blocks and
// row blocks that are not multiples of mc), one image and batches with
// tiles straddling images, transposed A, α and β other than 0 and 1, the
// affine map and an epilogue, and 1 and 2 threads.
func TestPackedMatchesSgemm(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(25, 26))
	// m, n, k, images
	shapes := [][4]int{{7, 9, 5, 1}, {16, 600, 32, 1}, {24, 200, 450, 1}, {100, 49, 500, 1},
		{70, 49, 450, 2}, {200, 60, 200, 1}, {130, 300, 40, 1}, {33, 196, 70, 3}, {2, 5, 3, 4}}
	for _, kc := range testConfigs() {
		cfg = kc
		for _, s := range shapes {
			m, n, k, nb := s[0], s[1], s[2], s[3]
			for _, tA := range []bool{false, true} {
				o := newBatchOperands(rng, m, n, k, nb, tA)
				aff := &Affine{Mean: randSlice(rng, m), Scale: randSlice(rng, m), Shift: randSlice(rng, m), Lo: -0.5, Hi: 1}
				pa := PackA(tA, m, k, 1.5, o.a, o.lda)
				gm, gk := pa.Dims()
				require.Equal(t, [2]int{m, k}, [2]int{gm, gk})
				for _, beta := range []float32{0, -0.5} {
					for _, procs := range []int{1, 2} {
						for _, e := range []struct {
							aff *Affine
							f   Epilogue
						}{{nil, nil}, {aff, nil}, {aff, testEpilogue}} {
							prev := runtime.GOMAXPROCS(procs)
							want := append([]float32(nil), o.c...)
							SgemmBatchNEpilogue(tA, m, n, k, 1.5, o.a, o.lda, o.b, o.ldb, o.strideB, beta, want, o.ldc, o.strideC, nb, e.aff, e.f)
							got := append([]float32(nil), o.c...)
							ok := SgemmPacked(pa, n, o.b, o.ldb, o.strideB, beta, got, o.ldc, o.strideC, nb, e.aff, e.f)
							runtime.GOMAXPROCS(prev)
							require.True(t, ok)
							require.Equal(t, want, got, "%s m=%d n=%d k=%d nb=%d tA=%v β=%v procs=%d aff=%v ep=%v",
								kc.name, m, n, k, nb, tA, beta, procs, e.aff != nil, e.f != nil)
						}
					}
				}
			}
		}
	}
}

// TestPackedDeclines checks that SgemmPacked computes nothing and reports
// false for the products that do not pack A and for a PackedA of another
// micro-kernel, and panics on operands too short.
func TestPackedDeclines(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(27, 28))
	a, b := randSlice(rng, 6*5), randSlice(rng, 5*8)
	c := make([]float32, 6*8)
	pa := PackA(false, 6, 5, 1, a, 5)
	require.False(t, SgemmPacked(pa, 1, b, 1, 5, 0, c, 1, 6, 8, nil, nil), "n = 1")
	require.False(t, SgemmPacked(pa, 8, b, 8, 0, 0, c, 8, 0, 0, nil, nil), "nb = 0")
	require.False(t, SgemmPacked(PackA(false, 1, 5, 1, a, 5), 8, b, 8, 0, 0, c, 8, 0, 1, nil, nil), "m = 1")
	require.False(t, SgemmPacked(PackA(false, 6, 5, 0, a, 5), 8, b, 8, 0, 0, c, 8, 0, 1, nil, nil), "α = 0")
	require.Equal(t, make([]float32, 6*8), c)
	if cs := testConfigs(); len(cs) > 1 {
		cfg = cs[0]
		p0 := PackA(false, 6, 5, 1, a, 5)
		cfg = cs[len(cs)-1]
		require.False(t, SgemmPacked(p0, 8, b, 8, 0, 0, c, 8, 0, 1, nil, nil), "packed for %s, run under %s", cs[0].name, cfg.name)
	}
	require.Panics(t, func() { SgemmPacked(pa, 8, b[:30], 8, 0, 0, c, 8, 0, 1, nil, nil) })
	require.Panics(t, func() { PackA(false, 6, 5, 1, a[:20], 5) })
}

// BenchmarkSgemmPacked compares products with A packed beforehand
// (SgemmPacked, a frozen layer's weights) and with A as it is
// (SgemmBatchNEpilogue): the 1×1 convolutions of 7×7 and 14×14 maps,
// one image and eight.
func BenchmarkSgemmPacked(b *testing.B) {
	for _, s := range [][4]int{{960, 49, 160, 1}, {960, 49, 160, 8}, {1280, 49, 320, 1}, {576, 196, 96, 1}} {
		m, n, k, nb := s[0], s[1], s[2], s[3]
		rng := rand.New(rand.NewPCG(1, 1))
		a, x, y := randSlice(rng, m*k), randSlice(rng, nb*k*n), make([]float32, nb*m*n)
		pa := PackA(false, m, k, 1, a, k)
		for _, packed := range []bool{false, true} {
			name := "plain"
			if packed {
				name = "packed"
			}
			b.Run(fmt.Sprintf("%dx%dx%d/b%d/%s", m, n, k, nb, name), func(b *testing.B) {
				for b.Loop() {
					if !packed || !SgemmPacked(pa, n, x, n, k*n, 0, y, n, m*n, nb, nil, nil) {
						SgemmBatchNEpilogue(false, m, n, k, 1, a, k, x, n, k*n, 0, y, n, m*n, nb, nil, nil)
					}
				}
				b.ReportMetric(2*float64(m*n*k*nb)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
