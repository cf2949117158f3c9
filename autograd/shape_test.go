package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

func TestShapeGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := func(shape ...int) *tensor.Tensor { return tensor.Normal(rng, 0, 1, shape...) }
	for _, tc := range []struct {
		name string
		f    func(in ...*Var) *Var
		in   []*tensor.Tensor
	}{
		{"Reshape", func(in ...*Var) *Var { return Reshape(in[0], 3, 2) }, []*tensor.Tensor{x(2, 3)}},
		{"Reshape -1", func(in ...*Var) *Var { return Reshape(in[0], -1, 1, 2) }, []*tensor.Tensor{x(2, 1, 2)}},
		{"Reshape scalar", func(in ...*Var) *Var { return Reshape(in[0], 1, 1) }, []*tensor.Tensor{x()}},
		{"Permute", func(in ...*Var) *Var { return Permute(in[0], 2, 0, 1) }, []*tensor.Tensor{x(2, 3, 4)}},
		{"Permute negative", func(in ...*Var) *Var { return Permute(in[0], -1, 1, 0, 2) }, []*tensor.Tensor{x(2, 1, 3, 2)}},
		{"Transpose", func(in ...*Var) *Var { return Transpose(in[0], 0, -1) }, []*tensor.Tensor{x(3, 2, 5)}},
		{"Slice", func(in ...*Var) *Var { return Slice(in[0], 1, 1, 5, 2) }, []*tensor.Tensor{x(2, 5, 3)}},
		{"Slice negative axis", func(in ...*Var) *Var { return Slice(in[0], -1, 0, 3, 1) }, []*tensor.Tensor{x(3, 4)}},
		{"Slice empty", func(in ...*Var) *Var { return Slice(in[0], 0, 2, 2, 1) }, []*tensor.Tensor{x(3, 2)}},
		{"Concat", func(in ...*Var) *Var { return Concat(1, in...) }, []*tensor.Tensor{x(2, 1, 3), x(2, 4, 3), x(2, 2, 3)}},
		{"Concat -1", func(in ...*Var) *Var { return Concat(-1, in[0], in[1]) }, []*tensor.Tensor{x(3, 2), x(3, 1)}},
		{"Concat one", func(in ...*Var) *Var { return Concat(0, in[0]) }, []*tensor.Tensor{x(5)}},
	} {
		requireGrad(t, tc.name, tc.f, tc.in...)
	}
}

func TestReshapeSharesData(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	r := Reshape(x, 3, 2)
	x.Value.Data()[0] = 10
	require.Equal(t, float32(10), r.Value.At(0, 0))
	MulScalar(r, 2).BackwardWith(tensor.Ones(3, 2))
	require.Equal(t, []int{2, 3}, x.Grad.Shape())
	require.Equal(t, []float32{2, 2, 2, 2, 2, 2}, x.Grad.Data())
}

func TestConcatConstInputs(t *testing.T) {
	a := Param(tensor.FromSlice([]float32{1, 2}, 2))
	b := Const(tensor.FromSlice([]float32{3}, 1))
	c := Param(tensor.FromSlice([]float32{4, 5, 6}, 3))
	y := Concat(0, a, b, c)
	y.BackwardWith(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 6))
	require.Equal(t, []float32{1, 2}, a.Grad.Data())
	require.Nil(t, b.Grad)
	require.Equal(t, []float32{4, 5, 6}, c.Grad.Data())
}
