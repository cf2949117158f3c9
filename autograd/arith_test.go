package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

// gradTol is the largest CheckGrad error accepted for smooth float32 ops.
const gradTol = 1e-2

// binaryShapes are operand shapes with equal shapes, broadcasting on either
// side, scalars, size-1 axes, odd sizes and a per-channel operand.
var binaryShapes = []struct{ a, b []int }{
	{[]int{3}, []int{3}},
	{[]int{2, 3}, []int{3}},
	{[]int{2, 1, 5}, []int{4, 1}},
	{[]int{1}, []int{3, 7}},
	{[]int{}, []int{2, 3}},
	{[]int{3, 1}, []int{}},
	{[]int{2, 3, 2, 2}, []int{1, 3, 1, 1}},
}

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

func TestBinaryGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, op := range []struct {
		name string
		f    func(a, b *Var) *Var
		args func(a, b []int) (*tensor.Tensor, *tensor.Tensor)
	}{
		{"Sub", Sub, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			return tensor.Normal(rng, 0, 1, a...), tensor.Normal(rng, 0, 1, b...)
		}},
		{"Mul", Mul, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			return tensor.Normal(rng, 0, 1, a...), tensor.Normal(rng, 0, 1, b...)
		}},
		{"Div", Div, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			return tensor.Normal(rng, 0, 1, a...), outside(tensor.Normal(rng, 0, 1, b...), 0.5)
		}},
		{"Pow", Pow, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			return tensor.Uniform(rng, 0.5, 2, a...), tensor.Uniform(rng, -1.5, 1.5, b...)
		}},
		{"Minimum", Minimum, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			ts := distinct(rng, a, b)
			return ts[0], ts[1]
		}},
		{"Maximum", Maximum, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			ts := distinct(rng, a, b)
			return ts[0], ts[1]
		}},
	} {
		for _, tc := range binaryShapes {
			a, b := op.args(tc.a, tc.b)
			requireGrad(t, op.name, func(in ...*Var) *Var { return op.f(in[0], in[1]) }, a, b)
		}
	}
}

func TestUnaryGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	normal := func(s []int) *tensor.Tensor { return tensor.Normal(rng, 0, 1, s...) }
	positive := func(s []int) *tensor.Tensor { return tensor.Uniform(rng, 0.5, 2, s...) }
	for _, op := range []struct {
		name string
		f    func(v *Var) *Var
		arg  func(s []int) *tensor.Tensor
	}{
		{"Neg", Neg, normal},
		{"Exp", Exp, normal},
		{"Log", Log, positive},
		{"Sqrt", Sqrt, positive},
		{"Abs", Abs, func(s []int) *tensor.Tensor { return awayFrom(normal(s), 0) }},
		{"AddScalar", func(v *Var) *Var { return AddScalar(v, -1.5) }, normal},
		{"MulScalar", func(v *Var) *Var { return MulScalar(v, -2.5) }, normal},
		{"PowScalar 2", func(v *Var) *Var { return PowScalar(v, 2) }, normal},
		{"PowScalar 3", func(v *Var) *Var { return PowScalar(v, 3) }, normal},
		{"PowScalar 0.5", func(v *Var) *Var { return PowScalar(v, 0.5) }, positive},
		{"PowScalar -1.5", func(v *Var) *Var { return PowScalar(v, -1.5) }, positive},
		{"PowScalar 0", func(v *Var) *Var { return PowScalar(v, 0) }, normal},
	} {
		for _, s := range unaryShapes {
			requireGrad(t, op.name, func(in ...*Var) *Var { return op.f(in[0]) }, op.arg(s))
		}
	}
}

// TestGradConventions checks the gradients at points where CheckGrad cannot:
// ties and zeros, with PyTorch's conventions.
func TestGradConventions(t *testing.T) {
	grads := func(f func(a, b *Var) *Var, a, b []float32) ([]float32, []float32) {
		x, y := Param(tensor.FromSlice(a, len(a))), Param(tensor.FromSlice(b, len(b)))
		f(x, y).BackwardWith(tensor.Ones(len(a)))
		return x.Grad.Data(), y.Grad.Data()
	}
	ga, gb := grads(Maximum, []float32{1, 2, 3}, []float32{3, 2, 1})
	require.Equal(t, []float32{0, 0.5, 1}, ga)
	require.Equal(t, []float32{1, 0.5, 0}, gb)
	ga, gb = grads(Minimum, []float32{1, 2, 3}, []float32{3, 2, 1})
	require.Equal(t, []float32{1, 0.5, 0}, ga)
	require.Equal(t, []float32{0, 0.5, 1}, gb)

	// d/da a^b = b·a^(b−1) and d/db a^b = a^b·ln a, taken as 0 at a = 0.
	ga, gb = grads(Pow, []float32{0, 2, -2}, []float32{2, 3, 2})
	require.Equal(t, []float32{0, 12, -4}, ga)
	require.Equal(t, float32(0), gb[0])
	require.InDelta(t, 8*math.Ln2, gb[1], 1e-5)
	require.True(t, math.IsNaN(float64(gb[2])), "ln of a negative base")

	x := Param(tensor.FromSlice([]float32{-2, 0, 3}, 3))
	Sum(Abs(x), false).Backward()
	require.Equal(t, []float32{-1, 0, 1}, x.Grad.Data())
}

func TestGradAccumulatesOverUses(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
	y := Add(Add(x, x), x)
	y.BackwardWith(tensor.Ones(3))
	require.Equal(t, []float32{3, 3, 3}, x.Grad.Data())
}

func TestOnlyRequiredGrads(t *testing.T) {
	a := Param(tensor.FromSlice([]float32{1, 2}, 2))
	b := Const(tensor.FromSlice([]float32{3, 4}, 2))
	y := Sum(Div(Mul(a, b), b), false)
	y.Backward()
	require.Nil(t, b.Grad)
	require.InDeltaSlice(t, []float32{1, 1}, a.Grad.Data(), 1e-6)

	var z *Var
	NoGrad(func() { z = Mul(a, a) })
	require.False(t, z.RequiresGrad())
	require.True(t, z.IsLeaf())
}
