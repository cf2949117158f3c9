package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// naive computes α·op(A)·op(B) + β·C in float64 with a triple loop.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i := range c {
		out[i] = float64(c[i])
	}
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			cv := float64(beta) * float64(c[i*ldc+j])
			if beta == 0 {
				cv = 0
			}
			out[i*ldc+j] = float64(alpha)*s + cv
		}
	}
	return out
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int // extra leading-dimension elements
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d α=%g β=%g pads=%d,%d,%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

func runCase(t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := max(ac, 1)+tc.padA, max(bc, 1)+tc.padB, max(tc.n, 1)+tc.padC
	a := randSlice(rng, ar*lda)
	b := randSlice(rng, br*ldb)
	c := randSlice(rng, tc.m*ldc)
	if tc.beta == 0 && tc.m > 0 && tc.n > 0 {
		c[0] = float32(math.NaN()) // β = 0 must not read C
	}
	want := naive(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	tol := 1e-5 * float64(tc.k+1)
	for i := range tc.m {
		for j := range ldc {
			got, w := float64(c[i*ldc+j]), want[i*ldc+j]
			if j >= tc.n { // padding columns are untouched
				require.Equal(t, float32(w), float32(got), "%v: padding C[%d,%d] changed", tc, i, j)
				continue
			}
			require.InDelta(t, w, got, tol*(1+math.Abs(w)), "%v: C[%d,%d]", tc, i, j)
		}
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{
		{1, 1, 1}, {1, 7, 3}, {5, 1, 4}, {3, 3, 1}, {4, 8, 5}, {5, 9, 7},
		{13, 17, 19}, {1, 300, 70}, {300, 1, 70}, {2, 2, 600},
		{129, 9, 3}, {3, 1100, 5}, {64, 64, 64}, {130, 131, 257},
		{7, 1500, 33}, {517, 6, 300}, {40, 200, 513},
	}
	for _, s := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				runCase(t, rng, gemmCase{transA: tA, transB: tB, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0})
			}
		}
	}
}

func TestSgemmAlphaBetaAndStrides(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []gemmCase{
		{m: 9, n: 11, k: 13, alpha: 0.5, beta: 1},
		{m: 9, n: 11, k: 13, alpha: -2, beta: 0.25, transA: true},
		{m: 33, n: 20, k: 7, alpha: 1, beta: -1, transB: true, padA: 3, padB: 5, padC: 2},
		{m: 33, n: 20, k: 300, alpha: 1.5, beta: 2, transA: true, transB: true, padA: 1, padB: 1, padC: 7},
		{m: 1, n: 20, k: 30, alpha: 2, beta: 0.5, padA: 2, padB: 3},
		{m: 1, n: 20, k: 30, alpha: 2, beta: 0.5, transA: true, transB: true, padA: 2, padB: 3},
		{m: 25, n: 1, k: 30, alpha: 2, beta: 0.5, padA: 2, padB: 3, padC: 1},
		{m: 25, n: 1, k: 30, alpha: 2, beta: 0.5, transA: true, transB: true, padA: 2, padB: 3, padC: 1},
		{m: 6, n: 5, k: 4, alpha: 0, beta: 3},   // α = 0: only scales C
		{m: 6, n: 5, k: 0, alpha: 1, beta: 0.5}, // k = 0: only scales C
		{m: 6, n: 5, k: 0, alpha: 1, beta: 0},   // k = 0, β = 0: clears C
		{m: 0, n: 5, k: 3, alpha: 1, beta: 0},
		{m: 4, n: 0, k: 3, alpha: 1, beta: 0},
	} {
		runCase(t, rng, tc)
	}
}

func TestSgemmPanics(t *testing.T) {
	buf := make([]float32, 100)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) },
			"gemm: Sgemm: negative dimension m=-1 n=2 k=2"},
		{"lda", func() { Sgemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) },
			"gemm: Sgemm: leading dimension lda=2 is less than the 3 columns of A (2×3 as stored)"},
		{"ldb trans", func() { Sgemm(false, true, 2, 4, 3, 1, buf, 3, buf, 2, 0, buf, 4) },
			"gemm: Sgemm: leading dimension ldb=2 is less than the 3 columns of B (4×3 as stored)"},
		{"short C", func() { Sgemm(false, false, 20, 20, 1, 1, buf, 1, buf, 20, 0, buf, 20) },
			"gemm: Sgemm: C (20×20 as stored, ldc=20) needs 400 elements, slice has 100"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f, tc.name)
	}
}

// TestSgemmDeterministic checks that results are bit-identical whatever
// GOMAXPROCS is.
func TestSgemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// A square-ish product, and narrow ones whose blocks of A follow the
	// number of workers.
	for _, s := range [][3]int{{300, 700, 600}, {960, 49, 160}, {130, 49, 300}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		run := func(procs int) []float32 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			c := make([]float32, m*n)
			Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
			return c
		}
		require.Equal(t, run(1), run(2), "m=%d n=%d k=%d", m, n, k)
	}
}

// TestGemvMatchesRows checks that the matrix-vector products, split into
// ranges of rows for the worker pool, give each output the arithmetic of
// its row alone, bit for bit: dot for contiguous rows of gemvShortK
// elements or more, the increasing sum over p otherwise; for sizes below
// and above the split thresholds, with 1 and 2 threads.
func TestGemvMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range [][2]int{{5, 7}, {1152, 48}, {48, 1152}, {300, 70}, {2000, 9}, {7, 5000}, {480, 20}, {1155, 31}, {6, 31}, {1030, 127}, {600, 128}} {
		m, k := s[0], s[1]
		for _, transA := range []bool{false, true} {
			a, x, y0 := randSlice(rng, m*k), randSlice(rng, k), randSlice(rng, m)
			lda := k // a holds op(A) m×k, or its transpose k×m
			if transA {
				lda = m
			}
			for _, beta := range []float32{0, 1, 0.5} {
				want := append([]float32(nil), y0...)
				for i := range m {
					var sum float32
					if !transA && k >= gemvShortK {
						sum = dot(a[i*k:(i+1)*k], x)
					} else {
						for p := range k {
							v := a[i*k+p]
							if transA {
								v = a[p*m+i]
							}
							sum += float32(x[p] * v)
						}
					}
					want[i] = 1.5*sum + betaTimes(beta, y0[i])
				}
				for _, procs := range []int{1, 2} {
					prev := runtime.GOMAXPROCS(procs)
					got := append([]float32(nil), y0...)
					Sgemm(transA, false, m, 1, k, 1.5, a, lda, x, 1, beta, got, 1)
					runtime.GOMAXPROCS(prev)
					require.Equal(t, want, got, "m=%d k=%d transA=%v β=%v procs=%d", m, k, transA, beta, procs)
				}
			}
		}
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range [][3]int{{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {96, 3136, 24}, {96, 12544, 16}, {960, 49, 160}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y, z := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
			for b.Loop() {
				Sgemm(false, false, m, n, k, 1, x, k, y, n, 0, z, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// configs returns the portable kernel and every SIMD kernel this CPU runs,
// plus plain kernels with odd register tiles.
func testConfigs() []kernelConfig {
	cs := append([]kernelConfig{genericConfig}, simdConfigs()...)
	for _, t := range [][4]int{{6, 16, 256, 144}, {3, 5, 7, 8}, {1, 1, 16, 4}, {14, 32, 100, 28}} {
		mr, nr := t[0], t[1]
		cs = append(cs, kernelConfig{name: fmt.Sprintf("plain%dx%d", mr, nr), mr: mr, nr: nr, kc: t[2], mc: t[3],
			fn: func(k int, a, b []float32, ldb int, c []float32, ldc int, store bool) {
				kernelGeneric(mr, nr, k, a, b, ldb, c, ldc, store)
			}})
	}
	return cs
}

// TestSgemmAllKernels runs the driver with every kernel and register tile,
// which checks that packing, blocking and edge handling follow mr, nr, kc
// and mc.
func TestSgemmAllKernels(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, kc := range testConfigs() {
		cfg = kc
		for _, s := range [][3]int{{7, 9, 5}, {130, 70, 300}, {5, 1030, 3}, {129, 17, 2}, {40, 300, 64}, {20, 4200, 9}} {
			for _, tA := range []bool{false, true} {
				for _, beta := range []float32{0, 0.5, 1} {
					runCase(t, rng, gemmCase{transA: tA, transB: !tA, m: s[0], n: s[1], k: s[2], alpha: 1.5, beta: beta, padA: 1})
					runCase(t, rng, gemmCase{transA: tA, transB: tA, m: s[0], n: s[1], k: s[2], alpha: 1, beta: beta, padB: 3, padC: 1})
				}
			}
		}
	}
}

// TestKernelsMatchGeneric compares every SIMD micro-kernel (and the
// portable 4×8 one) with kernelGeneric, its specification, for every k
// remainder of the unrolled loop, in store and add mode, with B packed and
// in place (ldb > nr).
func TestKernelsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, kc := range append([]kernelConfig{genericConfig}, simdConfigs()...) {
		mr, nr := kc.mr, kc.nr
		for k := 0; k <= 19; k++ {
			for _, ldb := range []int{nr, nr + 5} {
				for _, store := range []bool{false, true} {
					ldc := nr + 3
					a, b := randSlice(rng, k*mr), randSlice(rng, max(k, 1)*ldb)
					c0 := randSlice(rng, mr*ldc)
					want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
					kernelGeneric(mr, nr, k, a, b, ldb, want, ldc, store)
					kc.fn(k, a, b, ldb, got, ldc, store)
					if kc.panels != nil {
						// The same block three times over: the panel kernel
						// must give each block what fn gives.
						a3 := append(append(append([]float32(nil), a...), a...), a...)
						c3 := append(append(append([]float32(nil), c0...), c0...), c0...)
						kc.panels(k, a3, b, ldb, c3, ldc, store, 3)
						for p := range 3 {
							require.Equal(t, got, c3[p*len(c0):(p+1)*len(c0)], "%s panels k=%d block %d", kc.name, k, p)
						}
						if kc.panelsAff != nil {
							// With the affine map: the panels' results, then
							// its pure-Go twin over each row, bit for bit.
							for _, clamp := range [][2]float32{{-0.5, 0.7}, {float32(math.Inf(-1)), float32(math.Inf(1))}} {
								const row0 = 2
								aff := &Affine{Mean: randSlice(rng, row0+3*mr), Scale: randSlice(rng, row0+3*mr),
									Shift: randSlice(rng, row0+3*mr), Lo: clamp[0], Hi: clamp[1]}
								want := append([]float32(nil), c3...)
								for i := range 3 * mr {
									r := want[i*ldc : i*ldc+nr]
									vec.NormalizeGeneric(r, r, aff.Mean[row0+i], aff.Scale[row0+i], aff.Shift[row0+i], aff.Lo, aff.Hi)
								}
								got := append(append(append([]float32(nil), c0...), c0...), c0...)
								kc.panelsAff(k, a3, b, ldb, got, ldc, store, 3, aff, row0)
								require.Equal(t, want, got, "%s panelsAff k=%d store=%v clamp=%v", kc.name, k, store, clamp)
							}
						}
					}
					for i := range want {
						if i%ldc >= nr {
							require.Equal(t, want[i], got[i], "%s k=%d: padding of C changed", kc.name, k)
							continue
						}
						// FMA rounds once per step where the spec rounds twice.
						require.InDelta(t, want[i], got[i], 1e-6*float64(k+1)*(1+math.Abs(float64(want[i]))),
							"%s k=%d ldb=%d store=%v: C[%d,%d]", kc.name, k, ldb, store, i/ldc, i%ldc)
					}
				}
			}
		}
	}
}

// TestKernelSelection checks that a kernel can be chosen by name and that
// an unknown name falls back to the best one.
func TestKernelSelection(t *testing.T) {
	require.Equal(t, "generic4x8", selectConfig("generic4x8").name)
	best := selectConfig("")
	require.Equal(t, best.name, selectConfig("no such kernel").name)
	if cs := simdConfigs(); len(cs) > 0 {
		require.Equal(t, cs[0].name, best.name)
		if os.Getenv("AUTONL_GEMM_KERNEL") == "" {
			// The kernel in use is the whole configuration, edge kernels
			// included (cfg is set before the package's init functions).
			require.Equal(t, cs[0].name, cfg.name)
			require.Equal(t, cs[0].edge != nil, cfg.edge != nil, "edge kernel of the configuration in use")
		}
	}
	t.Logf("kernel in use: %s", KernelName())
}

// TestSgemmBatchNMatchesSgemm checks that a batched product gives, bit for
// bit, what a product per block gives, with every kernel and register tile
// (tiles straddle blocks when n is not a multiple of nr), for β = 0, 1
// and other values, with padded strides.
func TestSgemmBatchNMatchesSgemm(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kc := range testConfigs() {
		cfg = kc
		for _, s := range [][4]int{{7, 9, 5, 3}, {30, 49, 70, 8}, {24, 16, 144, 4}, {130, 196, 40, 3}, {6, 1, 9, 4}, {1, 20, 9, 3}, {17, 3, 300, 5}, {1152, 1, 48, 8}, {48, 1, 1152, 3}} {
			m, n, k, nb := s[0], s[1], s[2], s[3]
			for _, tA := range []bool{false, true} {
				for _, beta := range []float32{0, 1, 0.5} {
					o := newBatchOperands(rng, m, n, k, nb, tA)
					a, lda, b, ldb, strideB, c0, ldc, strideC := o.a, o.lda, o.b, o.ldb, o.strideB, o.c, o.ldc, o.strideC
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					SgemmBatchN(tA, m, n, k, 1.5, a, lda, b, ldb, strideB, beta, got, ldc, strideC, nb)
					for i := range nb {
						Sgemm(tA, false, m, n, k, 1.5, a, lda, b[i*strideB:], ldb, beta, want[i*strideC:], ldc)
					}
					require.Equal(t, want, got, "%s m=%d n=%d k=%d nb=%d tA=%v β=%v", kc.name, m, n, k, nb, tA, beta)
				}
			}
		}
	}
}

// testEpilogue is an Epilogue for tests: max(v·(1 + (o mod 5)) − 0.25 +
// (o mod 13)/64, 0) for the element at offset o of C, so that an offset
// passed wrong changes the results.
func testEpilogue(off int, run []float32) {
	for j, v := range run {
		o := off + j
		run[j] = max(v*float32(1+o%5)-0.25+float32(o%13)/64, 0)
	}
}

// batchOperands are the operands of a batched product of nb blocks with
// padded leading dimensions and strides: op(A) m×k (transposed if tA),
// B_i k×n and C_i m×n.
type batchOperands struct {
	a, b, c          []float32
	lda, ldb, ldc    int
	strideB, strideC int
}

func newBatchOperands(rng *rand.Rand, m, n, k, nb int, tA bool) batchOperands {
	o := batchOperands{lda: k + 1, ldb: n + 1, ldc: n + 3}
	if tA {
		o.lda = m + 2
	}
	o.strideB, o.strideC = k*o.ldb+5, m*o.ldc+7
	o.a = randSlice(rng, max(m, k)*o.lda)
	o.b = randSlice(rng, nb*o.strideB)
	o.c = randSlice(rng, nb*o.strideC)
	return o
}

// TestSgemmBatchNEpilogue checks that the epilogues see every element of
// C once, after its final value: SgemmBatchNEpilogue gives SgemmBatchN
// followed by the affine map (its pure-Go twin) and the function over each
// row, bit for bit, with every kernel, k blocks (k > kc), tiles straddling
// images, single images and the matrix-vector paths, and with rows of C
// apart (ldc > n) and adjacent (ldc = n, runs of several rows).
func TestSgemmBatchNEpilogue(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(15, 16))
	f := testEpilogue
	for _, kc := range testConfigs() {
		cfg = kc
		for _, s := range [][5]int{{7, 9, 5, 3, 3}, {30, 49, 70, 8, 3}, {130, 196, 40, 3, 3}, {6, 1, 9, 4, 3}, {1, 20, 9, 3, 3}, {17, 3, 600, 5, 3},
			{40, 300, 20, 1, 3}, {50, 49, 300, 1, 3}, {1, 40, 7, 2, 3},
			{30, 49, 70, 8, 0}, {130, 196, 40, 3, 0}, {50, 49, 300, 1, 0}, {40, 300, 20, 1, 0}, {7, 9, 5, 3, 0}, {6, 1, 9, 4, 0}} {
			m, n, k, nb := s[0], s[1], s[2], s[3]
			lda, ldb, ldc := k+1, n+1, n+s[4]
			strideB, strideC := k*ldb+5, m*ldc+7
			a := randSlice(rng, m*lda)
			b := randSlice(rng, nb*strideB)
			c0 := randSlice(rng, nb*strideC)
			aff := &Affine{Mean: randSlice(rng, m), Scale: randSlice(rng, m), Shift: randSlice(rng, m), Lo: -0.5, Hi: 1}
			for _, ep := range []struct {
				aff *Affine
				f   Epilogue
			}{{nil, f}, {aff, nil}, {aff, f}} {
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				SgemmBatchNEpilogue(false, m, n, k, 1, a, lda, b, ldb, strideB, 0, got, ldc, strideC, nb, ep.aff, ep.f)
				SgemmBatchN(false, m, n, k, 1, a, lda, b, ldb, strideB, 0, want, ldc, strideC, nb)
				for img := range nb {
					for i := range m {
						r := want[img*strideC+i*ldc:][:n]
						if ep.aff != nil {
							vec.NormalizeGeneric(r, r, aff.Mean[i], aff.Scale[i], aff.Shift[i], aff.Lo, aff.Hi)
						}
						if ep.f != nil {
							ep.f(img*strideC+i*ldc, r)
						}
					}
				}
				require.Equal(t, want, got, "%s m=%d n=%d k=%d nb=%d ldc=%d aff=%v", kc.name, m, n, k, nb, ldc, ep.aff != nil)
			}
		}
	}
}

// TestSgemmBatchKMatchesNaive checks a product summed over blocks of the
// inner dimension against the float64 triple loop, with every kernel and
// register tile (k blocks straddle the batch's blocks), and that it does
// not depend on GOMAXPROCS.
func TestSgemmBatchKMatchesNaive(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kc := range testConfigs() {
		cfg = kc
		for _, s := range [][4]int{{7, 9, 5, 3}, {24, 144, 49, 8}, {33, 20, 196, 3}, {16, 32, 100, 5}, {6, 1, 9, 4}, {1, 20, 9, 3}} {
			m, n, k, nb := s[0], s[1], s[2], s[3]
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, beta := range []float32{0, 1, -0.5} {
						ar, ac, br, bc := m, k, k, n
						if tA {
							ar, ac = k, m
						}
						if tB {
							br, bc = n, k
						}
						lda, ldb, ldc := ac+1, bc+2, n+1
						strideA, strideB := ar*lda+3, br*ldb+1
						a, b := randSlice(rng, nb*strideA), randSlice(rng, nb*strideB)
						c := randSlice(rng, m*ldc)
						want := make([]float64, len(c))
						for i := range c {
							want[i] = float64(beta) * float64(c[i])
							if beta == 0 {
								want[i] = 0
							}
						}
						for i := range nb {
							part := naive(tA, tB, m, n, k, 1, a[i*strideA:], lda, b[i*strideB:], ldb, 0, make([]float32, len(c)), ldc)
							for j := range part {
								want[j] += part[j]
							}
						}
						got := append([]float32(nil), c...)
						SgemmBatchK(tA, tB, m, n, k, 1, a, lda, strideA, b, ldb, strideB, beta, got, ldc, nb)
						tol := 1e-5 * float64(nb*k+1)
						for i := range m {
							for j := range ldc {
								if j >= n {
									require.Equal(t, c[i*ldc+j], got[i*ldc+j], "padding")
									continue
								}
								w := want[i*ldc+j]
								require.InDelta(t, w, float64(got[i*ldc+j]), tol*(1+math.Abs(w)),
									"%s m=%d n=%d k=%d nb=%d tA=%v tB=%v β=%v C[%d,%d]", kc.name, m, n, k, nb, tA, tB, beta, i, j)
							}
						}
					}
				}
			}
		}
	}
	m, n, k, nb := 200, 300, 250, 6
	a, b := randSlice(rng, nb*m*k), randSlice(rng, nb*n*k)
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		c := make([]float32, m*n)
		SgemmBatchK(false, true, m, n, k, 1, a, k, m*k, b, k, n*k, 0, c, n, nb)
		return c
	}
	require.Equal(t, run(1), run(2))
}

// TestPackingMatchesSpec compares packBPanel and packA, which use the
// assembly packers on full panels where the CPU has them, with the plain
// definition of the packed layouts, for every remainder of the 8-row
// blocks, partial panels, and A panels packed in pieces.
func TestPackingMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, nr := range []int{16, 32, 8} {
		for _, trans := range []bool{false, true} {
			for kc := 0; kc <= 41; kc++ {
				for _, cols := range []int{nr, nr - 3} {
					ldb := 50
					b := randSlice(rng, 60*ldb)
					p0, j0 := 3, 2
					got := randSlice(rng, kc*nr+8)
					want := append([]float32(nil), got...)
					packBPanel(got, nr, trans, b, ldb, p0, kc, j0, cols)
					for p := range kc {
						for j := range cols {
							if trans {
								want[p*nr+j] = b[(j0+j)*ldb+p0+p]
							} else {
								want[p*nr+j] = b[(p0+p)*ldb+j0+j]
							}
						}
					}
					require.Equal(t, want, got, "packBPanel nr=%d trans=%v kc=%d cols=%d", nr, trans, kc, cols)
				}
			}
		}
	}
	for _, mr := range []int{6, 12, 4} {
		for _, trans := range []bool{false, true} {
			for kc := 1; kc <= 41; kc++ {
				for _, mc := range []int{2 * mr, 2*mr - 1} {
					lda := 70
					a := randSlice(rng, 80*lda)
					i0, p0 := 1, 2
					ldp := kc + 5 // panels of ldp columns, packed in two pieces
					got := randSlice(rng, ceilDiv(mc, mr)*mr*ldp)
					want := append([]float32(nil), got...)
					packA(got, mr, trans, a, lda, i0, mc, p0, kc, ldp, 0, 0.5)
					packA(got, mr, trans, a, lda, i0, mc, p0+kc, 5, ldp, kc, 0.5)
					for r := 0; r < mc; r += mr {
						for p := range ldp {
							for i := range mr {
								var v float32
								if r+i < mc {
									if trans {
										v = 0.5 * a[(p0+p)*lda+i0+r+i]
									} else {
										v = 0.5 * a[(i0+r+i)*lda+p0+p]
									}
								}
								want[r*ldp+p*mr+i] = v
							}
						}
					}
					require.Equal(t, want, got, "packA mr=%d trans=%v kc=%d mc=%d", mr, trans, kc, mc)
				}
			}
		}
	}
}

// TestDotMatchesGeneric compares the dot product of the matrix-vector
// paths, whose lanes and their pairwise sum run in assembly where the CPU
// allows, with its pure-Go specification, bit for bit, for every tail and
// the lengths of squeeze-excite rows.
func TestDotMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	lengths := []int{240, 480, 576, 1152, 1153, 4099}
	for n := range 201 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		x, y := randSlice(rng, n), randSlice(rng, n)
		m := n &^ (dotLanes - 1)
		var acc [dotLanes]float32
		dotAccGeneric(&acc, x[:m], y[:m])
		for w := dotLanes / 2; w > 0; w /= 2 {
			for l := range w {
				acc[l] += acc[l+w]
			}
		}
		want := acc[0]
		for i := m; i < n; i++ {
			want += float32(x[i] * y[i])
		}
		require.Equal(t, want, dot(x, y), "n=%d", n)
	}
}

// TestEdgeKernelsMatchTwin compares the edge kernels of the narrow last
// tiles with their pure-Go twin kernelGenericFMA and with the full tile
// of fn, bit for bit, for every width below nr, every k remainder, store
// and add mode, B packed and in place; and their variants with the affine
// map with the twin's sums mapped by vec.NormalizeGeneric.
func TestEdgeKernelsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, kc := range simdConfigs() {
		if kc.edge == nil {
			continue
		}
		mr, nr := kc.mr, kc.nr
		for cols := 1; cols <= kc.edgeMax; cols++ {
			for k := 0; k <= 9; k++ {
				for _, ldb := range []int{nr, nr + 5} {
					for _, store := range []bool{false, true} {
						ldc := nr + 3
						b := randSlice(rng, max(k, 1)*ldb)
						for _, n := range []int{1, 2, 3, 8, 11} {
							// n blocks, each with its own A panel and C block.
							an := randSlice(rng, n*k*mr)
							cn := randSlice(rng, n*mr*ldc)
							twin, full, got := append([]float32(nil), cn...), append([]float32(nil), cn...), append([]float32(nil), cn...)
							for t := range n {
								kernelGenericFMA(mr, cols, k, an[t*k*mr:], b, ldb, twin[t*mr*ldc:], ldc, store)
								kc.fn(k, an[t*k*mr:], b, ldb, full[t*mr*ldc:], ldc, store)
							}
							kc.edge(k, an, b, ldb, got, ldc, store, n, cols)
							// With the affine map: the twin's sums mapped by
							// vec.NormalizeGeneric, row by row.
							aff := &Affine{Mean: randSlice(rng, n*mr+2), Scale: randSlice(rng, n*mr+2), Shift: randSlice(rng, n*mr+2), Lo: -0.5, Hi: 1}
							twinAff, gotAff := append([]float32(nil), twin...), append([]float32(nil), cn...)
							for i := range n * mr {
								row := twinAff[i*ldc : i*ldc+cols]
								vec.NormalizeGeneric(row, row, aff.Mean[2+i], aff.Scale[2+i], aff.Shift[2+i], aff.Lo, aff.Hi)
							}
							kc.edgeAff(k, an, b, ldb, gotAff, ldc, store, n, cols, aff, 2)
							for e := range gotAff {
								want := twinAff[e]
								if e%ldc >= cols {
									want = cn[e]
								}
								require.Equal(t, math.Float32bits(want), math.Float32bits(gotAff[e]),
									"%s edgeAff cols=%d n=%d k=%d ldb=%d store=%v: C[%d,%d]", kc.name, cols, n, k, ldb, store, e/ldc, e%ldc)
							}
							for e := range got {
								if e%ldc >= cols {
									require.Equal(t, math.Float32bits(cn[e]), math.Float32bits(got[e]),
										"%s edge cols=%d n=%d k=%d: C[%d,%d] past the tile changed", kc.name, cols, n, k, e/ldc, e%ldc)
									continue
								}
								require.Equal(t, math.Float32bits(twin[e]), math.Float32bits(got[e]),
									"%s edge cols=%d n=%d k=%d ldb=%d store=%v: C[%d,%d] against the twin", kc.name, cols, n, k, ldb, store, e/ldc, e%ldc)
								require.Equal(t, math.Float32bits(full[e]), math.Float32bits(got[e]),
									"%s edge cols=%d n=%d k=%d ldb=%d store=%v: C[%d,%d] against fn", kc.name, cols, n, k, ldb, store, e/ldc, e%ldc)
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmEdgeMatchesFullTiles checks that products whose last tiles go
// through the edge kernels, with and without the affine epilogue, give
// bit for bit what the full tiles give.
func TestSgemmEdgeMatchesFullTiles(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, kc := range simdConfigs() {
		if kc.edge == nil {
			continue
		}
		noEdge := kc
		noEdge.edge = nil
		for _, s := range [][3]int{{1280, 49, 320}, {960, 49, 160}, {50, 17, 300}, {37, 60, 7}, {24, 45, 200}, {13, 28, 5}} {
			m, n, k := s[0], s[1], s[2]
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			c0 := randSlice(rng, m*n)
			aff := &Affine{Mean: randSlice(rng, m), Scale: randSlice(rng, m), Shift: randSlice(rng, m), Lo: -0.5, Hi: 1}
			for _, beta := range []float32{0, 1} {
				for _, f := range []*Affine{nil, aff} {
					var res [2][]float32
					for v, c := range []kernelConfig{kc, noEdge} {
						cfg = c
						res[v] = append([]float32(nil), c0...)
						if f == nil {
							Sgemm(false, false, m, n, k, 1, a, k, b, n, beta, res[v], n)
						} else {
							SgemmBatchNEpilogue(false, m, n, k, 1, a, k, b, n, k*n, beta, res[v], n, m*n, 1, f, nil)
						}
					}
					require.Equal(t, res[1], res[0], "%s m=%d n=%d k=%d beta=%v aff=%v", kc.name, m, n, k, beta, f != nil)
				}
			}
		}
	}
}

// TestRowsKernelsMatchTwin checks the kernels of the last rows of a
// matrix (kernelConfig.rows) against their pure-Go twin, kernelGenericFMA
// on the whole zero-padded panel, and against the full kernel, bit for
// bit, and that they write no row past theirs.
func TestRowsKernelsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, kc := range simdConfigs() {
		if kc.rows == nil {
			continue
		}
		mr, nr := kc.mr, kc.nr
		for rows := 1; rows < mr; rows++ {
			for k := 0; k <= 13; k++ {
				for _, ldb := range []int{nr, nr + 5} {
					for _, store := range []bool{false, true} {
						ldc := nr + 3
						a, b := randSlice(rng, k*mr), randSlice(rng, max(k, 1)*ldb)
						for p := range k {
							clear(a[p*mr+rows : (p+1)*mr]) // packed rows past the matrix are zero
						}
						c0 := randSlice(rng, mr*ldc)
						twin, full, got := append([]float32(nil), c0...), append([]float32(nil), c0...), append([]float32(nil), c0...)
						kernelGenericFMA(mr, nr, k, a, b, ldb, twin, ldc, store)
						kc.fn(k, a, b, ldb, full, ldc, store)
						kc.rows(k, a, b, ldb, got, ldc, store, rows)
						for e := range got {
							if e/ldc >= rows || e%ldc >= nr {
								require.Equal(t, math.Float32bits(c0[e]), math.Float32bits(got[e]),
									"%s rows=%d k=%d: C[%d,%d] past the tile changed", kc.name, rows, k, e/ldc, e%ldc)
								continue
							}
							require.Equal(t, math.Float32bits(twin[e]), math.Float32bits(got[e]),
								"%s rows=%d k=%d ldb=%d store=%v: C[%d,%d] against the twin", kc.name, rows, k, ldb, store, e/ldc, e%ldc)
							require.Equal(t, math.Float32bits(full[e]), math.Float32bits(got[e]),
								"%s rows=%d k=%d ldb=%d store=%v: C[%d,%d] against fn", kc.name, rows, k, ldb, store, e/ldc, e%ldc)
						}
					}
				}
			}
		}
	}
}
