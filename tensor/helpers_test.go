package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test helpers: simple, index-by-index float64 reference implementations
// that share no code with the kernels they check.

// unravel returns the coordinates of row-major offset i in shape.
func unravel(i int, shape []int) []int {
	return unravelInto(make([]int, len(shape)), i, shape)
}

// unravelInto stores the coordinates of row-major offset i in shape in idx.
func unravelInto(idx []int, i int, shape []int) []int {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return idx
}

// ravel returns the row-major offset of idx in shape.
func ravel(idx, shape []int) int {
	off := 0
	for d, x := range idx {
		off = off*shape[d] + x
	}
	return off
}

// broadcastOffsets returns, for every element of shape in row-major order,
// the offset of the element of a tensor of shape in that broadcasting reads.
func broadcastOffsets(in, shape []int) []int {
	offs := make([]int, NumElements(shape))
	idx := make([]int, len(shape))
	lead := len(shape) - len(in)
	for i := range offs {
		unravelInto(idx, i, shape)
		off := 0
		for d, n := range in {
			off *= n
			if n != 1 {
				off += idx[lead+d]
			}
		}
		offs[i] = off
	}
	return offs
}

// refBinary applies f element-wise to a and b broadcast to shape.
func refBinary(a, b *Tensor, shape []int, f func(x, y float64) float64) []float64 {
	oa, ob := broadcastOffsets(a.shape, shape), broadcastOffsets(b.shape, shape)
	out := make([]float64, len(oa))
	for i := range out {
		out[i] = f(float64(a.data[oa[i]]), float64(b.data[ob[i]]))
	}
	return out
}

// refReduce applies f to the elements of t along axes (all if none) for
// every result, with the reduced axes kept with size 1.
func refReduce(t *Tensor, axes []int, f func(v []float64) float64) ([]int, []float64) {
	reduced := make([]bool, len(t.shape))
	for _, a := range axes {
		reduced[(a+len(t.shape))%len(t.shape)] = true
	}
	keep := append([]int{}, t.shape...)
	for d := range keep {
		if reduced[d] || len(axes) == 0 {
			keep[d] = 1
		}
	}
	groups := make([][]float64, NumElements(keep))
	for i, v := range t.data {
		idx := unravel(i, t.shape)
		for d := range idx {
			if keep[d] == 1 {
				idx[d] = 0
			}
		}
		o := ravel(idx, keep)
		groups[o] = append(groups[o], float64(v))
	}
	out := make([]float64, len(groups))
	for i, g := range groups {
		out[i] = f(g)
	}
	return keep, out
}

// requireClose checks got against float64 values with a relative and
// absolute tolerance tol; NaNs and infinities must match exactly.
func requireClose(t *testing.T, want []float64, got []float32, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i, w := range want {
		g := float64(got[i])
		ok := math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))
		if math.IsNaN(w) || math.IsInf(w, 0) {
			ok = math.IsNaN(w) && math.IsNaN(g) || w == g
		}
		if !ok {
			require.Failf(t, "values differ", "element %d: got %v, want %v (tolerance %g): %s", i, g, w, tol, message(msgAndArgs))
		}
	}
}

// message formats testify-style message arguments: a format and its operands.
func message(msgAndArgs []any) string {
	if len(msgAndArgs) == 0 {
		return ""
	}
	if f, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(f, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// randn returns a tensor of standard normal elements.
func randn(rng *rand.Rand, shape ...int) *Tensor { return Normal(rng, 0, 1, shape...) }

// unchanged fails if t differs from its earlier copy c: kernels must not
// modify their inputs.
func unchanged(t *testing.T, c, x *Tensor) {
	t.Helper()
	require.Equal(t, c.shape, x.shape)
	require.Len(t, x.data, len(c.data))
	for i, v := range c.data {
		if math.Float32bits(v) != math.Float32bits(x.data[i]) {
			require.Failf(t, "input was modified", "element %d: %v became %v", i, v, x.data[i])
		}
	}
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func float64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
