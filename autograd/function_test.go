package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

func TestIndicator(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	for _, s := range unaryShapes {
		x := tensor.Uniform(rng, -4, 4, s...)
		if x.Len() > 0 {
			x.Data()[0] = 0 // 1[0 > 0] = 0
		}
		xv := Param(x)
		d := Indicator(xv)
		g := tensor.Normal(rng, 0, 1, s...)
		d.BackwardWith(g)
		require.Equal(t, s, d.Shape())
		for i, v := range x.Data() {
			want := float32(0)
			if v > 0 {
				want = 1
			}
			assert.Equal(t, want, d.Value.Data()[i], "forward at x = %v", v)
			sig := 1 / (1 + math.Exp(-float64(v)))
			wantGrad := float64(g.Data()[i]) * sig * (1 - sig)
			assert.InDelta(t, wantGrad, float64(xv.Grad.Data()[i]), 1e-6, "∂x at x = %v, g = %v", v, g.Data()[i])
		}
	}
}

// mulByFunction is x·y element-wise written with Function.
func mulByFunction(x, y *Var) *Var {
	return Function("TestMul", tensor.Mul(x.Value, y.Value), []*Var{x, y}, func(g *tensor.Tensor) []*tensor.Tensor {
		var gx, gy *tensor.Tensor
		if x.RequiresGrad() {
			gx = tensor.Mul(g, y.Value)
		}
		if y.RequiresGrad() {
			gy = tensor.Mul(g, x.Value)
		}
		return []*tensor.Tensor{gx, gy}
	})
}

func TestFunction(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2))
	for _, s := range unaryShapes {
		requireGrad(t, "Function", func(in ...*Var) *Var { return mulByFunction(in[0], in[1]) },
			tensor.Normal(rng, 0, 1, s...), tensor.Normal(rng, 0, 1, s...))
	}
	// An input used twice, and g handed on unchanged to both inputs.
	requireGrad(t, "Function twice", func(in ...*Var) *Var {
		sum := Function("TestAdd", tensor.Add(in[0].Value, in[0].Value), []*Var{in[0], in[0]},
			func(g *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{g, g} })
		return mulByFunction(sum, in[0])
	}, tensor.Normal(rng, 0, 1, 3, 4))
}

func TestFunctionRecordsNothingWithoutGradients(t *testing.T) {
	called := false
	back := func(g *tensor.Tensor) []*tensor.Tensor { called = true; return []*tensor.Tensor{g} }
	c := Function("TestConst", tensor.Scalar(2), []*Var{Const(tensor.Scalar(1))}, back)
	assert.True(t, c.IsLeaf())
	assert.False(t, c.RequiresGrad())
	NoGrad(func() {
		v := Function("TestNoGrad", tensor.Scalar(2), []*Var{Param(tensor.Scalar(1))}, back)
		assert.True(t, v.IsLeaf())
	})
	assert.False(t, called)
}

func TestFunctionPanics(t *testing.T) {
	x := Param(tensor.Scalar(1))
	v := Function("TestBad", tensor.Scalar(2), []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor { return nil })
	assert.PanicsWithValue(t, "autograd: Function TestBad: backward returned 0 gradients for 1 inputs", func() { v.Backward() })
	w := Function("TestShape", tensor.Scalar(2), []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Zeros(2)}
	})
	assert.Panics(t, func() { w.Backward() })
}
