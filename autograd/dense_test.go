package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

func TestMatMulGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(101, 102))
	for _, tc := range []struct {
		a, b           []int
		transA, transB bool
	}{
		{a: []int{2, 3}, b: []int{3, 4}},
		{a: []int{3, 2}, b: []int{3, 4}, transA: true},
		{a: []int{2, 3}, b: []int{4, 3}, transB: true},
		{a: []int{3, 2}, b: []int{4, 3}, transA: true, transB: true},
		{a: []int{1, 5}, b: []int{5, 1}},
		{a: []int{2, 3, 4}, b: []int{4, 5}},               // batch folded into M
		{a: []int{2, 4, 3}, b: []int{4, 5}, transA: true}, // batch of a, shared b
		{a: []int{3, 4}, b: []int{2, 5, 4}, transB: true}, // shared a, batch of b
		{a: []int{2, 1, 3, 4}, b: []int{3, 4, 2}},         // broadcast both ways
		{a: []int{1, 4, 3}, b: []int{2, 2, 4}, transA: true, transB: true},
	} {
		a, b := tensor.Normal(rng, 0, 1, tc.a...), tensor.Normal(rng, 0, 1, tc.b...)
		r := CheckGrad(func(in ...*Var) *Var { return MatMul(in[0], in[1], tc.transA, tc.transB) }, a, b)
		require.Less(t, r.Error, gradTol, "%+v: %v", tc, r)
	}
}

func TestConv2DGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(103, 104))
	for _, tc := range []struct {
		x, w []int
		p    tensor.Conv2DConfig
		bias bool
	}{
		{x: []int{2, 3, 5, 6}, w: []int{4, 3, 3, 3}, p: tensor.Conv2DConfig{Padding: [2]int{1, 1}}, bias: true},
		{x: []int{1, 2, 7, 6}, w: []int{3, 2, 3, 2}, p: tensor.Conv2DConfig{Stride: [2]int{2, 1}, Padding: [2]int{0, 1}, Dilation: [2]int{2, 1}}},
		{x: []int{2, 4, 5, 5}, w: []int{6, 2, 3, 3}, p: tensor.Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 2}, bias: true},
		{x: []int{2, 3, 6, 5}, w: []int{6, 1, 3, 3}, p: tensor.Conv2DConfig{Padding: [2]int{1, 1}, Groups: 3}, bias: true}, // depthwise ×2
		{x: []int{1, 4, 7, 7}, w: []int{4, 1, 5, 5}, p: tensor.Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Groups: 4}},
		{x: []int{3, 5, 3, 4}, w: []int{2, 5, 1, 1}, bias: true}, // 1×1, a plain product
		{x: []int{1, 1, 4, 4}, w: []int{2, 1, 4, 4}, p: tensor.Conv2DConfig{Padding: [2]int{1, 0}}, bias: true},
	} {
		x, w := tensor.Normal(rng, 0, 1, tc.x...), tensor.Normal(rng, 0, 1, tc.w...)
		inputs := []*tensor.Tensor{x, w}
		if tc.bias {
			inputs = append(inputs, tensor.Normal(rng, 0, 1, tc.w[0]))
		}
		r := CheckGrad(func(in ...*Var) *Var {
			var b *Var
			if tc.bias {
				b = in[2]
			}
			return Conv2D(in[0], in[1], b, tc.p)
		}, inputs...)
		require.Less(t, r.Error, gradTol, "%+v: %v", tc, r)
	}
}

func TestConv2DBias(t *testing.T) {
	x := Const(tensor.Ones(2, 1, 2, 2))
	w := Param(tensor.Ones(3, 1, 1, 1))
	b := Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
	y := Conv2D(x, w, b, tensor.Conv2DConfig{})
	require.Equal(t, []float32{2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4}, y.Value.Data()[:12])
	y.BackwardWith(tensor.Ones(y.Shape()...))
	require.Equal(t, []float32{8, 8, 8}, b.Grad.Data())
	require.Nil(t, x.Grad, "no gradient for a Const input")

	require.PanicsWithValue(t, "autograd: Conv2D: bias b [2] does not match the 3 output channels of w [3 1 1 1], want [3]",
		func() { Conv2D(x, w, Param(tensor.New(2)), tensor.Conv2DConfig{}) })
}

// maxPoolInput returns a tensor holding a random permutation of values
// spaced 0.05 apart, so that no two inputs of a max-pooling window are
// within the finite-difference step of each other.
func maxPoolInput(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, j := range rng.Perm(t.Len()) {
		t.Data()[i] = 0.05 * float32(j-t.Len()/2)
	}
	return t
}

func TestPool2DGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(105, 106))
	for _, tc := range []struct {
		x []int
		p tensor.Pool2DConfig
	}{
		{x: []int{2, 3, 4, 4}, p: tensor.Pool2DConfig{Kernel: [2]int{2, 2}}},
		{x: []int{1, 2, 7, 5}, p: tensor.Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{x: []int{1, 2, 7, 5}, p: tensor.Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}},
		{x: []int{2, 1, 5, 6}, p: tensor.Pool2DConfig{Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 0}}},
		{x: []int{1, 1, 3, 3}, p: tensor.Pool2DConfig{Kernel: [2]int{3, 3}}},
	} {
		name := fmt.Sprintf("%v %+v", tc.x, tc.p)
		r := CheckGrad(func(in ...*Var) *Var { return AvgPool2D(in[0], tc.p) }, tensor.Normal(rng, 0, 1, tc.x...))
		require.Less(t, r.Error, gradTol, "AvgPool2D %s: %v", name, r)
		r = CheckGrad(func(in ...*Var) *Var { return MaxPool2D(in[0], tc.p) }, maxPoolInput(rng, tc.x...))
		require.Less(t, r.Error, gradTol, "MaxPool2D %s: %v", name, r)
	}
	for _, shape := range [][]int{{2, 3, 4, 5}, {1, 1, 1, 1}, {3, 2, 1, 7}} {
		r := CheckGrad(func(in ...*Var) *Var { return GlobalAvgPool2D(in[0]) }, tensor.Normal(rng, 0, 1, shape...))
		require.Less(t, r.Error, gradTol, "GlobalAvgPool2D %v: %v", shape, r)
	}
}

func TestBatchNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(107, 108))
	for _, tc := range []struct {
		x      []int
		affine bool
	}{
		{x: []int{4, 3}, affine: true},
		{x: []int{5, 2}, affine: false},
		{x: []int{2, 3, 3, 4}, affine: true},
		{x: []int{3, 2, 1, 5}, affine: false},
		{x: []int{1, 2, 3, 3}, affine: true},
	} {
		c := tc.x[1]
		x := tensor.Normal(rng, 0.5, 2, tc.x...)
		inputs := []*tensor.Tensor{x}
		if tc.affine {
			inputs = append(inputs, tensor.Uniform(rng, 0.5, 1.5, c), tensor.Normal(rng, 0, 1, c))
		}
		params := func(in []*Var) (*Var, *Var) {
			if tc.affine {
				return in[1], in[2]
			}
			return nil, nil
		}
		r := CheckGrad(func(in ...*Var) *Var {
			gamma, beta := params(in)
			y, _ := BatchNormTrain(in[0], gamma, beta, 1e-5)
			return y
		}, inputs...)
		require.Less(t, r.Error, gradTol, "BatchNormTrain %+v: %v", tc, r)

		mean, variance := tensor.Normal(rng, 0, 1, c), tensor.Uniform(rng, 0.5, 2, c)
		r = CheckGrad(func(in ...*Var) *Var {
			gamma, beta := params(in)
			return BatchNormEval(in[0], gamma, beta, mean, variance, 1e-5)
		}, inputs...)
		require.Less(t, r.Error, gradTol, "BatchNormEval %+v: %v", tc, r)
	}
}

func TestBatchNormTrainReturnsStats(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{1, 10, 3, 20}, 2, 2))
	y, s := BatchNormTrain(x, nil, nil, 0)
	require.Equal(t, []float32{2, 15}, s.Mean.Data())
	require.Equal(t, []float32{1, 25}, s.Var.Data())
	require.Equal(t, []float32{-1, -1, 1, 1}, y.Value.Data())
}

// TestBatchNormClampMatchesUnfused checks that the fused BN + clamp ops
// compute exactly what BN followed by ReLU or ReLU6 does, values and
// gradients, in training and evaluation mode.
func TestBatchNormClampMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(109, 110))
	inf := float32(math.Inf(1))
	for _, shape := range [][]int{{4, 3, 5, 7}, {2, 5, 1, 1}, {3, 4, 8, 8}} {
		c := shape[1]
		mean, variance := tensor.Normal(rng, 0, 1, c), tensor.Uniform(rng, 0.5, 2, c)
		x0 := tensor.Normal(rng, 1, 3, shape...)
		g0, b0 := tensor.Uniform(rng, 0.5, 1.5, c), tensor.Normal(rng, 1, 1, c)
		dy := tensor.Normal(rng, 0, 1, shape...)
		for _, hi := range []float32{6, inf} {
			for _, train := range []bool{true, false} {
				run := func(fused bool) (y, dx, dg, db *tensor.Tensor) {
					x, g, b := Param(x0.Clone()), Param(g0.Clone()), Param(b0.Clone())
					var out *Var
					switch {
					case train && fused:
						out, _ = BatchNormTrainClamp(x, g, b, 1e-5, 0, hi)
					case train:
						out, _ = BatchNormTrain(x, g, b, 1e-5)
					case fused:
						out = BatchNormEvalClamp(x, g, b, mean, variance, 1e-5, 0, hi)
					default:
						out = BatchNormEval(x, g, b, mean, variance, 1e-5)
					}
					if !fused {
						if hi == 6 {
							out = ReLU6(out)
						} else {
							out = ReLU(out)
						}
					}
					out.BackwardWith(dy)
					return out.Value, x.Grad, g.Grad, b.Grad
				}
				y1, dx1, dg1, db1 := run(true)
				y2, dx2, dg2, db2 := run(false)
				what := fmt.Sprintf("%v hi=%v train=%v", shape, hi, train)
				require.Equal(t, y2.Data(), y1.Data(), "y %s", what)
				if train {
					require.Equal(t, dx2.Data(), dx1.Data(), "dx %s", what)
				} else {
					require.InDeltaSlice(t, dx2.Data(), dx1.Data(), 1e-6, "dx %s", what)
				}
				require.Equal(t, dg2.Data(), dg1.Data(), "dgamma %s", what)
				require.Equal(t, db2.Data(), db1.Data(), "dbeta %s", what)
			}
		}
	}
}

func TestConv2DFusedInferenceOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w := Const(tensor.Normal(rng, 0, 1, 1, 2, 4, 4)), Param(tensor.Normal(rng, 0, 1, 3, 2, 1, 1))
	ep := tensor.NewBatchNormEpilogue(nil, nil, tensor.Zeros(3), tensor.Ones(3), 1e-5, 0, 6)
	require.PanicsWithValue(t, "autograd: Conv2DFused: inference only, but gradients are enabled and an input requires one",
		func() { Conv2DFused(x, w, tensor.Conv2DConfig{}, ep) })
	NoGrad(func() {
		y := Conv2DFused(x, w, tensor.Conv2DConfig{}, ep)
		require.False(t, y.RequiresGrad())
		require.Equal(t, tensor.Conv2DFused(x.Value, w.Value, tensor.Conv2DConfig{}, ep).Data(), y.Value.Data())
	})
}
