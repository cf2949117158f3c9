package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDirectKernelsMatchGeneric compares the direct kernel of every SIMD
// configuration that has one with directGeneric, its specification and
// pure-Go twin, bit for bit: every k remainder of the unrolled loop, one
// k block and a long one, store and add, and rows of A, B and C apart.
func TestDirectKernelsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	tested := 0
	for _, kc := range simdConfigs() {
		if kc.direct == nil {
			continue
		}
		tested++
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 160, 192, 301} {
			for _, store := range []bool{true, false} {
				lda, ldb, ldc := k+3, directCols+5, directCols+2
				a := randSlice(rng, directRows*lda)
				b := randSlice(rng, k*ldb)
				c0 := randSlice(rng, directRows*ldc)
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				kc.direct(k, a, lda, b, ldb, got, ldc, store)
				directGeneric(k, a, lda, b, ldb, want, ldc, store)
				require.Equal(t, want, got, "%s k=%d store=%v", kc.name, k, store)
			}
		}
	}
	if tested == 0 {
		t.Skip("no direct kernel on this CPU")
	}
}

// TestDirectAMatchesPacked checks that runDirectA gives what the drivers
// that pack A give, bit for bit: the 1×1 convolutions of 7×7 maps
// (MobileNetV2's 960×160×49 and 1280×320×49, the latter in two k
// blocks), heights not a multiple of directRows, batches of images, an
// affine map and an epilogue, β 0, 1 and other, and 1 and 2 threads; and
// that it declines products it does not compute (α ≠ 1, transposed A,
// another width).
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
		requireDriversAgreeAlpha(t, rng, kc.name, shapes, 1, []float32{0, 1, -0.5}, func(on bool) { directA = on })
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
	}
	if tested == 0 {
		t.Skip("no direct kernel on this CPU")
	}
}
