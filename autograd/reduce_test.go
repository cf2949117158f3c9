package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// reduceCases are shapes and axes to reduce over: all axes, single and
// negative axes, several axes, size-1 axes and per-channel reductions.
var reduceCases = []struct {
	shape, axes []int
}{
	{[]int{5}, nil},
	{[]int{2, 3}, nil},
	{[]int{2, 3}, []int{0}},
	{[]int{2, 3, 4}, []int{-1}},
	{[]int{2, 3, 4}, []int{2, 0}},
	{[]int{3, 1, 5}, []int{1}},
	{[]int{2, 3, 2, 2}, []int{0, 2, 3}},
}

func TestReduceGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	type reduceFunc func(v *Var, keepDims bool, axes ...int) *Var
	for _, op := range []struct {
		name     string
		f        reduceFunc
		distinct bool // inputs must have no near-ties
	}{
		{"Sum", Sum, false},
		{"Mean", Mean, false},
		{"Max", Max, true},
		{"Min", Min, true},
		{"Variance", func(v *Var, k bool, axes ...int) *Var { return Variance(v, true, k, axes...) }, false},
		{"Variance biased", func(v *Var, k bool, axes ...int) *Var { return Variance(v, false, k, axes...) }, false},
	} {
		for _, tc := range reduceCases {
			if _, n := keptShape(tc.shape, tc.axes); n == 1 && op.name == "Variance" {
				continue // the unbiased variance of one element is NaN
			}
			for _, keepDims := range []bool{false, true} {
				x := tensor.Normal(rng, 0, 1, tc.shape...)
				if op.distinct {
					x = distinct(rng, tc.shape)[0]
				}
				requireGrad(t, op.name, func(in ...*Var) *Var { return op.f(in[0], keepDims, tc.axes...) }, x)
			}
		}
	}
}

// TestExtremumTies checks that Max and Min split the gradient evenly among
// tied elements, as torch.amax and torch.amin do.
func TestExtremumTies(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{
		1, 3, 3,
		2, 2, 2,
		-1, 0, -1,
	}, 3, 3))
	Max(x, false, 1).BackwardWith(tensor.FromSlice([]float32{1, 3, 2}, 3))
	require.Equal(t, []float32{0, 0.5, 0.5, 1, 1, 1, 0, 2, 0}, x.Grad.Data())

	x.ZeroGrad()
	Min(x, false).Backward()
	require.Equal(t, []float32{0, 0, 0, 0, 0, 0, 0.5, 0, 0.5}, x.Grad.Data())
}

func TestSoftmaxGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		shape []int
		axis  int
	}{
		{[]int{5}, 0},
		{[]int{3, 4}, -1},
		{[]int{3, 4}, 0},
		{[]int{2, 3, 2}, 1},
		{[]int{2, 1, 3}, 1},
		{[]int{1, 3}, 1},
	} {
		x := tensor.Normal(rng, 0, 2, tc.shape...)
		requireGrad(t, "Softmax", func(in ...*Var) *Var { return Softmax(in[0], tc.axis) }, x)
		requireGrad(t, "LogSoftmax", func(in ...*Var) *Var { return LogSoftmax(in[0], tc.axis) }, x)
	}
}
