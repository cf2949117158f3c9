package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Helpers for the tests of the dense kernels (MatMul, convolution, pooling,
// batch normalization).

// denseRandn returns a tensor of standard normal values.
func denseRandn(rng *rand.Rand, shape ...int) *Tensor { return Normal(rng, 0, 1, shape...) }

// requireCloseTo64 checks got against a float64 reference element by
// element: |got − want| ≤ tol·(1 + |want|).
func requireCloseTo64(t *testing.T, want []float64, got []float32, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	worst, at := 0.0, -1
	for i, w := range want {
		d := math.Abs(float64(got[i])-w) / (1 + math.Abs(w))
		if !(d <= worst) { // catches NaN
			worst, at = d, i
			if math.IsNaN(d) {
				worst = math.Inf(1)
			}
		}
	}
	if worst > tol {
		require.Failf(t, "values differ", "element %d: got %v, want %v (scaled error %.3g > %.3g): %v",
			at, got[at], want[at], worst, tol, msgAndArgs)
	}
}
