package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// gradTol is the largest CheckGrad error accepted for smooth float32 ops.
const gradTol = 1e-2

func TestAddGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ a, b []int }{
		{[]int{3}, []int{3}},
		{[]int{2, 3}, []int{3}},
		{[]int{2, 1, 5}, []int{4, 1}},
		{[]int{1}, []int{3, 7}},
		{[]int{}, []int{2, 3}},
	} {
		a := tensor.Normal(rng, 0, 1, tc.a...)
		b := tensor.Normal(rng, 0, 1, tc.b...)
		r := CheckGrad(func(in ...*Var) *Var { return Add(in[0], in[1]) }, a, b)
		require.Less(t, r.Error, gradTol, "shapes %v %v: %v", tc.a, tc.b, r)
	}
}

func TestGradAccumulatesOverUses(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
	y := Add(Add(x, x), x)
	y.BackwardWith(tensor.Ones(3))
	require.Equal(t, []float32{3, 3, 3}, x.Grad.Data())
}
