package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// kinkGap is how far test inputs stay from points where a function is not
// differentiable: more than CheckGrad's step of 1e-2.
const kinkGap = 0.05

// requireGrad runs CheckGrad on f and the inputs and requires an error
// below gradTol.
func requireGrad(t *testing.T, name string, f func(in ...*Var) *Var, inputs ...*tensor.Tensor) {
	t.Helper()
	r := CheckGrad(f, inputs...)
	shapes := make([][]int, len(inputs))
	for i, x := range inputs {
		shapes[i] = x.Shape()
	}
	require.Less(t, r.Error, gradTol, "%s %v: %v", name, shapes, r)
}

// awayFrom moves the elements of t that lie within kinkGap of a kink to
// kink ± kinkGap, in place, and returns t.
func awayFrom(t *tensor.Tensor, kinks ...float32) *tensor.Tensor {
	d := t.Data()
	for i, v := range d {
		for _, k := range kinks {
			switch {
			case v >= k && v < k+kinkGap:
				v = k + kinkGap
			case v < k && v > k-kinkGap:
				v = k - kinkGap
			}
		}
		d[i] = v
	}
	return t
}

// outside moves the elements of t away from 0 by m, in place: every x
// becomes x + m·sign(x), so that |x| ≥ m. It returns t.
func outside(t *tensor.Tensor, m float32) *tensor.Tensor {
	d := t.Data()
	for i, v := range d {
		if v < 0 {
			d[i] = v - m
		} else {
			d[i] = v + m
		}
	}
	return t
}

// distinct returns tensors of the given shapes whose elements, all taken
// together, are pairwise at least 2·kinkGap apart, so that maxima, minima
// and element-wise comparisons have no near-ties.
func distinct(rng *rand.Rand, shapes ...[]int) []*tensor.Tensor {
	n := 0
	for _, s := range shapes {
		n += tensor.NumElements(s)
	}
	perm := rng.Perm(n)
	ts := make([]*tensor.Tensor, len(shapes))
	for i, s := range shapes {
		ts[i] = tensor.New(s...)
		for j := range ts[i].Data() {
			ts[i].Data()[j] = 2 * kinkGap * float32(perm[0]-n/2)
			perm = perm[1:]
		}
	}
	return ts
}

// shapes is a list of tensor shapes for unary ops: a scalar, odd sizes and
// size-1 axes.
var unaryShapes = [][]int{{}, {5}, {2, 3}, {3, 1, 4}}
