package gemm

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestColsMatchesBlocks checks that runCols gives what the block driver
// of run gives, bit for bit, with every kernel and register tile: plain
// and batched products (tiles straddling images), transposed A, α and β
// other than 0 and 1, k blocks, products narrow enough to be split by
// rows, epilogues, and 1 and 2 threads.
func TestColsMatchesBlocks(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	defer func() { colDriver = true }()
	rng := rand.New(rand.NewPCG(21, 22))
	// m, n, k, images (products whose n·images is below m and panels run
	// on the block driver either way)
	shapes := [][4]int{{7, 9, 5, 1}, {16, 1500, 32, 1}, {24, 200, 450, 1}, {40, 49, 300, 1},
		{130, 700, 40, 1}, {33, 196, 70, 3}, {90, 49, 160, 2}, {12, 700, 13, 2}}
	for _, kc := range testConfigs() {
		cfg = kc
		requireDriversAgree(t, rng, kc.name, shapes, []float32{0, -0.5}, func(on bool) { colDriver = on })
	}
}

// requireDriversAgree requires that every product of the given shapes
// (m, n, k, images), α = 1.5, with A plain and transposed, each β, 1 and 2
// threads, without and with an affine map and an epilogue, comes out the
// same bit for bit with a driver switched off and on by use.
func requireDriversAgree(t *testing.T, rng *rand.Rand, name string, shapes [][4]int, betas []float32, use func(bool)) {
	t.Helper()
	requireDriversAgreeAlpha(t, rng, name, shapes, 1.5, betas, use, nil)
}

// agreeFunc requires that the product C computed with a driver on (got)
// agrees with it computed without (want); o holds the operands' layout
// and n is the width of one image's block of C.
type agreeFunc func(t *testing.T, want, got []float32, o batchOperands, n int, msgAndArgs ...any)

// requireDriversAgreeAlpha is requireDriversAgree with α given and the
// comparison done by agree (bit for bit if nil).
func requireDriversAgreeAlpha(t *testing.T, rng *rand.Rand, name string, shapes [][4]int, alpha float32, betas []float32, use func(bool), agree agreeFunc) {
	t.Helper()
	f := testEpilogue
	for _, s := range shapes {
		m, n, k, nb := s[0], s[1], s[2], s[3]
		for _, tA := range []bool{false, true} {
			for _, beta := range betas {
				o := newBatchOperands(rng, m, n, k, nb, tA)
				a, lda, b, ldb, strideB, c0, ldc, strideC := o.a, o.lda, o.b, o.ldb, o.strideB, o.c, o.ldc, o.strideC
				aff := &Affine{Mean: randSlice(rng, m), Scale: randSlice(rng, m), Shift: randSlice(rng, m), Lo: -0.5, Hi: 1}
				for _, procs := range []int{1, 2} {
					run := func(on bool, aff *Affine, ep Epilogue) []float32 {
						use(on)
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
						c := append([]float32(nil), c0...)
						if nb == 1 && aff == nil && ep == nil {
							Sgemm(tA, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						} else {
							SgemmBatchNEpilogue(tA, m, n, k, alpha, a, lda, b, ldb, strideB, beta, c, ldc, strideC, nb, aff, ep)
						}
						return c
					}
					for _, e := range []struct {
						aff *Affine
						f   Epilogue
					}{{nil, nil}, {aff, nil}, {aff, f}} {
						want, got := run(false, e.aff, e.f), run(true, e.aff, e.f)
						msg := []any{"%s m=%d n=%d k=%d nb=%d tA=%v β=%v procs=%d aff=%v ep=%v", name, m, n, k, nb, tA, beta, procs, e.aff != nil, e.f != nil}
						if agree == nil {
							require.Equal(t, want, got, msg...)
						} else {
							agree(t, want, got, o, n, msg...)
						}
					}
				}
			}
		}
	}
}

// TestNarrowMatchesBlocks checks that runNarrow gives what the k loop of
// run gives, bit for bit, with every kernel and register tile: products of
// several k blocks with few columns (1×1 convolutions on 7×7 and 14×14
// maps, one image and batched with tiles straddling images), transposed A
// and B, α and β other than 0 and 1, epilogues, and 1 and 2 threads.
func TestNarrowMatchesBlocks(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	defer func() { narrowDriver = true }()
	rng := rand.New(rand.NewPCG(23, 24))
	shapes := [][4]int{{100, 49, 500, 1}, {50, 150, 400, 1}, {40, 49, 300, 1}, {70, 49, 450, 2}, {25, 20, 1000, 1}}
	for _, kc := range testConfigs() {
		cfg = kc
		requireDriversAgree(t, rng, kc.name, shapes, []float32{0, 1, -0.5}, func(on bool) { narrowDriver = on })
		// op(B) transposed (a weight gradient's shape without batching).
		m, n, k := 60, 30, 900
		a, b, c0 := randSlice(rng, m*k), randSlice(rng, n*k), randSlice(rng, m*n)
		run := func(narrow bool) []float32 {
			narrowDriver = narrow
			c := append([]float32(nil), c0...)
			Sgemm(false, true, m, n, k, 0.5, a, k, b, k, 1, c, n)
			return c
		}
		require.Equal(t, run(false), run(true), "%s transB", kc.name)
	}
}

// TestDirectBMatchesPacked checks that reading op(B) in place
// (directBOK) gives what packing it gives, bit for bit, with every
// kernel and register tile: narrow products with and without a last
// tile for the edge kernels, one k block and several (the block driver
// and runNarrow), products of few rows (runCols), batches of one image
// and of images a multiple of nr wide, with an affine map and an
// epilogue, transposed A, α and β other than 0 and 1, and 1 and 2
// threads.
func TestDirectBMatchesPacked(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	defer func() { directB = true }()
	rng := rand.New(rand.NewPCG(25, 26))
	shapes := [][4]int{{960, 49, 160, 1}, {130, 49, 300, 1}, {100, 64, 500, 1}, {40, 17, 50, 1},
		{61, 196, 70, 1}, {37, 32, 20, 1}, {50, 60, 400, 1}, {25, 45, 30, 2}, {16, 300, 40, 1}, {24, 512, 30, 1}, {40, 250, 300, 1},
		{16, 64, 40, 3}, {20, 128, 300, 2}, {30, 64, 50, 2}}
	for _, kc := range testConfigs() {
		cfg = kc
		requireDriversAgree(t, rng, kc.name, shapes, []float32{0, 1, -0.5}, func(on bool) { directB = on })
	}
}

// TestImagesMatchesDrivers checks that runImages gives what the other
// drivers give, bit for bit, with every kernel and register tile: batches
// whose blocks of C the other drivers' tiles straddle, blocks a multiple
// of nr wide, one k block and several, few rows and many, transposed A,
// α and β other than 0 and 1, epilogues, and 1 and 2 threads.
func TestImagesMatchesDrivers(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	defer func() { imagesDriver = true }()
	rng := rand.New(rand.NewPCG(27, 28))
	shapes := [][4]int{{200, 49, 160, 8}, {40, 49, 300, 3}, {16, 64, 40, 4}, {30, 196, 20, 2}, {13, 17, 450, 5}, {100, 32, 70, 2}}
	for _, kc := range testConfigs() {
		cfg = kc
		requireDriversAgree(t, rng, kc.name, shapes, []float32{0, 1, -0.5}, func(on bool) { imagesDriver = on })
	}
}

// TestSpreadRunsEveryTaskOnce checks that spread calls its function once
// for every task, one task per call, below and above spreadMax tasks.
func TestSpreadRunsEveryTaskOnce(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 8, 10, 63, 64, 65, 200} {
		counts := make([]atomic.Int32, n)
		g := gemmArgs{kernelConfig: cfg}
		for range 3 {
			g.spread(n, func(w *workspace, u int) {
				counts[u].Add(1)
			})
		}
		for u := range counts {
			require.Equal(t, int32(3), counts[u].Load(), "n=%d task %d", n, u)
		}
	}
}
