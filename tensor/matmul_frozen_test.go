package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMatMulFrozen checks that MatMulFrozen gives MatMul(x, w, false,
// true) bit for bit, for weights whose sizes are and are not multiples of
// the kernels' tiles and inner dimensions of one and several k blocks,
// for 1 to 13 rows of x, and x of other shapes (through MatMul); and that
// the frozen weight is a copy.
func TestMatMulFrozen(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, wShape := range [][]int{{1000, 1280}, {10, 1280}, {37, 19}, {1, 300}, {64, 1}} {
		w := randn(rng, wShape...)
		f := FreezeMatMulWeight(w)
		require.Equal(t, wShape, f.Shape())
		for n := 1; n <= 13; n += 2 {
			x := randn(rng, n, wShape[1])
			require.Equal(t, MatMul(x, w, false, true).Data(), MatMulFrozen(x, f).Data(), "w %v, %d rows", wShape, n)
		}
		x := randn(rng, 2, 3, wShape[1])
		require.Equal(t, MatMul(x, w, false, true).Data(), MatMulFrozen(x, f).Data(), "w %v, 3-D x", wShape)
		x = randn(rng, 4, wShape[1])
		want := MatMul(x, w, false, true)
		w.Data()[0]++
		require.Equal(t, want.Data(), MatMulFrozen(x, f).Data(), "w %v, a copy", wShape)
	}
	require.PanicsWithValue(t, "tensor: FreezeMatMulWeight: weight [2 3 4] is not 2-D Out×In", func() { FreezeMatMulWeight(New(2, 3, 4)) })
}
