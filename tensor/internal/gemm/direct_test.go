package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDirectKernelsMatchGeneric compares the direct kernel of every SIMD
// configuration that has one with directGeneric, its specification and
// pure-Go twin, bit for bit: every k remainder of the unrolled loops (4
// in the first 48 columns, 16 in the last), one k block and a long one,
// store and add, and rows of A, B and C apart.
func TestDirectKernelsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	tested := 0
	for _, kc := range simdConfigs() {
		if kc.direct == nil {
			continue
		}
		tested++
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 160, 192, 301} {
			for _, store := range []bool{true, false} {
				lda, ldb, ldc := k+3, directCols+5, directCols+2
				a := randSlice(rng, directRows*lda)
				b := randSlice(rng, k*ldb)
				bc := make([]float32, k)
				for p := range k {
					bc[p] = b[p*ldb+directCols-1]
				}
				c0 := randSlice(rng, directRows*ldc)
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				kc.direct(k, a, lda, b, ldb, bc, got, ldc, store)
				directGeneric(k, a, lda, b, ldb, bc, want, ldc, store)
				require.Equal(t, want, got, "%s k=%d store=%v", kc.name, k, store)
			}
		}
	}
	if tested == 0 {
		t.Skip("no direct kernel on this CPU")
	}
}

// TestDirectDot checks directDot against a sum in float64, and its
// order of summation on a case where the order shows: 2^24 in lane 0 and
// 1 in lanes 1 and 9. The halves add the two ones first and keep them,
// 2^24+2; summing p in increasing order would lose each, 2^24.
func TestDirectDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	for _, k := range []int{1, 7, 16, 17, 160, 301} {
		x, y := randSlice(rng, k), randSlice(rng, k)
		var want float64
		for p := range k {
			want += float64(x[p]) * float64(y[p])
		}
		require.InDelta(t, want, directDot(k, x, y), 1e-5*float64(k), "k=%d", k)
	}
	x, y := make([]float32, 16), make([]float32, 16)
	x[0], x[1], x[9] = 1<<24, 1, 1
	for p := range y {
		y[p] = 1
	}
	require.Equal(t, float32(1<<24+2), directDot(16, x, y))
}

// TestDirectAMatchesPacked checks that runDirectA gives what the drivers
// that pack A give, bit for bit in the first directCols−1 columns of each
// block and within float32 rounding in the last, a dot product summed in
// another order: the 1×1 convolutions of 7×7 maps
// (MobileNetV2's 960×160×49 and 1280×320×49, the latter in two k
// blocks), heights not a multiple of directRows, batches of images, an
// affine map and an epilogue, β 0, 1 and other, and 1 and 2 threads; that
// it declines products it does not compute (α ≠ 1, transposed A,
// another width); and that SgemmPacked declines those it computes.
func TestDirectAMatchesPacked(t *testing.T) {
	defer func(c kernelConfig) { cfg = c }(cfg)
	defer func() { directA = true }()
	rng := rand.New(rand.NewPCG(43, 44))
	shapes := [][4]int{{960, 49, 160, 1}, {1280, 49, 320, 1}, {8, 49, 1, 1}, {13, 49, 7, 1}, {45, 49, 200, 3}, {20, 49, 450, 2}, {9, 49, 30, 8}}
	tested := 0
	for _, kc := range simdConfigs() {
		if kc.direct == nil {
			continue
		}
		tested++
		cfg = kc
		requireDriversAgreeAlpha(t, rng, kc.name, shapes, 1, []float32{0, 1, -0.5}, func(on bool) { directA = on }, agreeDirect)
		for _, g := range []gemmArgs{
			{kernelConfig: kc, m: 960, n: 49, k: 160, alpha: 1, lda: 160},
			{kernelConfig: kc, m: 960, n: 49 * 4, n0: 49, segN: true, k: 160, alpha: 1, lda: 160},
		} {
			require.True(t, g.useDirectA(), "%s m=%d n=%d", kc.name, g.m, g.n)
		}
		for _, g := range []gemmArgs{
			{kernelConfig: kc, m: 960, n: 49, k: 160, alpha: 1.5, lda: 160},
			{kernelConfig: kc, m: 960, n: 49, k: 160, alpha: 1, transA: true, lda: 960},
			{kernelConfig: kc, m: 960, n: 50, k: 160, alpha: 1, lda: 160},
			{kernelConfig: kc, m: 7, n: 49, k: 160, alpha: 1, lda: 160},
			{kernelConfig: kc, m: 960, n: 49, k: 160, alpha: 1, lda: 160, pa: &PackedA{}},
		} {
			require.False(t, g.useDirectA(), "%s m=%d n=%d α=%v transA=%v", kc.name, g.m, g.n, g.alpha, g.transA)
		}
		// SgemmPacked leaves to the caller, with A, the products that read
		// A in place, so that a frozen layer computes what it does unfrozen.
		a, b, c := randSlice(rng, 96*40), randSlice(rng, 2*40*49), make([]float32, 2*96*49)
		require.False(t, SgemmPacked(PackA(false, 96, 40, 1, a, 40), 49, b, 49, 40*49, 0, c, 49, 96*49, 2, nil, nil), kc.name)
		require.True(t, SgemmPacked(PackA(false, 96, 40, 2, a, 40), 49, b, 49, 40*49, 0, c, 49, 96*49, 2, nil, nil), kc.name)
		require.True(t, SgemmPacked(PackA(false, 96, 40, 1, a, 40), 48, b, 48, 40*48, 0, c, 48, 96*48, 2, nil, nil), kc.name)
	}
	if tested == 0 {
		t.Skip("no direct kernel on this CPU")
	}
}

// agreeDirect requires got, computed by runDirectA, to be want bit for
// bit except in the last column of each directCols wide block, and
// there within float32 rounding of want: a sum of k products summed in
// another order, then the affine map and the epilogue, which scale
// differences by at most a few.
func agreeDirect(t *testing.T, want, got []float32, o batchOperands, n int, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for idx := range want {
		img, r := idx/o.strideC, idx%o.strideC
		i, j := r/o.ldc, r%o.ldc
		if img*o.strideC+i*o.ldc+n > len(want) || j >= n || j%directCols != directCols-1 {
			require.Equal(t, want[idx], got[idx], msgAndArgs...)
			continue
		}
		require.InDelta(t, want[idx], got[idx], 1e-4*(1+math.Abs(float64(want[idx]))), msgAndArgs...)
	}
}
