//go:build amd64 && !purego

package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackA12Kernels checks that the two assembly packers of 12-row
// panels of A (packA12AVX2 and packA12LanesAVX2, one of them packA12
// depending on the CPU) write the same panel, bit for bit, and nothing
// past it, for several lengths, leading dimensions and α.
func TestPackA12Kernels(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(27, 28))
	for _, kc := range []int{8, 16, 24, 160, 192} {
		for _, lda := range []int{kc, kc + 3, 2*kc + 1} {
			for _, alpha := range []float32{1, -0.5} {
				a := randSlice(rng, 11*lda+kc)
				want := randSlice(rng, 12*kc+16)
				got := append([]float32(nil), want...)
				packA12AVX2(&want[0], &a[0], kc, lda, alpha)
				packA12LanesAVX2(&got[0], &a[0], kc, lda, alpha)
				require.Equal(t, want, got, "kc=%d lda=%d α=%v", kc, lda, alpha)
				for p := range kc {
					for i := range 12 {
						require.Equal(t, alpha*a[i*lda+p], got[p*12+i], "kc=%d lda=%d α=%v (%d, %d)", kc, lda, alpha, i, p)
					}
				}
			}
		}
	}
}
