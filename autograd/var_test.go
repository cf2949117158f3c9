package autograd

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/tensor"
)

func TestNoGradRecordsNothing(t *testing.T) {
	x := Param(tensor.Ones(3))
	var y *Var
	NoGrad(func() { y = Add(x, x) })
	require.True(t, y.IsLeaf())
	require.False(t, y.RequiresGrad())
	require.True(t, GradEnabled(), "NoGrad restores the setting")

	prev := SetGradEnabled(false)
	require.True(t, prev)
	require.False(t, Add(x, x).RequiresGrad())
	SetGradEnabled(true)
	require.True(t, Add(x, x).RequiresGrad())
}

func TestConstAndDetachStopGradients(t *testing.T) {
	x := Param(tensor.Ones(2))
	c := Const(tensor.Ones(2))
	y := Add(Add(x, c), Add(x, c).Detach())
	require.Equal(t, "Add", y.Op())
	y.BackwardWith(tensor.FromSlice([]float32{1, 2}, 2))
	require.Equal(t, []float32{1, 2}, x.Grad.Data())
	require.Nil(t, c.Grad)
}

func TestGradientsAccumulateAcrossBackwardCalls(t *testing.T) {
	x := Param(tensor.Ones(2))
	y := Add(x, x)
	y.BackwardWith(tensor.Ones(2))
	y.BackwardWith(tensor.Ones(2))
	require.Equal(t, []float32{4, 4}, x.Grad.Data())
	x.ZeroGrad()
	require.Nil(t, x.Grad)
}

func TestIntermediateGradientsAreDroppedUnlessRetained(t *testing.T) {
	x := Param(tensor.Ones(2))
	h := Add(x, x)
	k := Add(x, x)
	k.RetainGrad()
	y := Add(h, k)
	y.BackwardWith(tensor.Ones(2))
	require.Nil(t, h.Grad)
	require.Equal(t, []float32{1, 1}, k.Grad.Data())
	require.Equal(t, []float32{4, 4}, x.Grad.Data())
}

func TestSharedFirstGradientIsNotModified(t *testing.T) {
	// Add passes its output gradient itself to both inputs; accumulating a
	// second contribution into a must not change b's gradient.
	a := Param(tensor.Ones(2))
	b := Param(tensor.Ones(2))
	s := Add(a, b)
	y := Add(s, a)
	y.BackwardWith(tensor.FromSlice([]float32{1, 2}, 2))
	require.Equal(t, []float32{2, 4}, a.Grad.Data())
	require.Equal(t, []float32{1, 2}, b.Grad.Data())
}

func TestBackwardPanics(t *testing.T) {
	x := Param(tensor.Ones(2))
	require.PanicsWithValue(t, "autograd: Backward: output of shape [2] is not a scalar; use BackwardWith and an output gradient",
		func() { Add(x, x).Backward() })
	require.PanicsWithValue(t, "autograd: Backward: output gradient of shape [3] for an output of shape [2]",
		func() { Add(x, x).BackwardWith(tensor.Ones(3)) })
	require.PanicsWithValue(t, "autograd: Backward: the output does not require a gradient: no input of its graph is a Param, or it was computed under NoGrad",
		func() { c := Const(tensor.Ones(1)); Add(c, c).Backward() })
}

func TestReleaseGraph(t *testing.T) {
	x := Param(tensor.Ones(100))
	view := Param(x.Value.Reshape(10, 10)) // a leaf sharing x's storage
	h := Add(Add(x, x), Reshape(view, 100))
	kept := Add(h, x)
	kept.RetainGrad()
	y := Add(kept, h)
	y.BackwardWith(tensor.Ones(100))
	y.ReleaseGraph()

	require.Nil(t, h.Value, "intermediate value released")
	require.NotNil(t, kept.Value, "retained value kept")
	require.True(t, y.IsLeaf(), "output detached from its graph")
	require.Len(t, y.Value.Data(), 100)
	require.Equal(t, float32(1), x.Value.Data()[0], "leaf storage untouched")
	require.Equal(t, float32(5), x.Grad.Data()[0])
	require.Equal(t, float32(2), view.Grad.Data()[0])
	require.Len(t, view.Value.Data(), 100)
}

func TestCheckGradFindsAWrongRule(t *testing.T) {
	// A deliberately wrong rule: the forward doubles, the backward does not.
	wrong := func(in ...*Var) *Var {
		x := in[0]
		return record("Wrong", tensor.Add(x.Value, x.Value), []*Var{x}, func(g *tensor.Tensor) { x.accumulate(g) })
	}
	r := CheckGrad(wrong, tensor.Ones(4))
	require.InDelta(t, 0.5, r.Error, 0.01, "%v", r)
	require.Equal(t, 4, r.Elements)
	require.Contains(t, r.String(), "worst of 4 elements")
}

func TestReleaseGradKeepsSharedGradients(t *testing.T) {
	// Add hands its output gradient to both inputs: neither owns it, so
	// releasing one must leave the other intact even when the pool hands
	// the storage out again.
	a := Param(tensor.Ones(128))
	b := Param(tensor.Ones(128))
	Sum(Add(a, b), false).Backward()
	a.ReleaseGrad()
	require.Nil(t, a.Grad)
	other := tensor.Full(7, 128)
	require.Equal(t, float32(1), b.Grad.Data()[0])
	require.Equal(t, float32(1), b.Grad.Data()[127])
	tensor.Release(other)
}

func TestGradientsAccumulateOverPasses(t *testing.T) {
	// The first pass leaves w the owner of its gradient; the second adds
	// into it in place; a gradient handed out by the caller is not owned.
	w := Param(tensor.Full(2, 100))
	c := Const(tensor.Full(3, 100))
	Sum(Mul(w, c), false).Backward()
	Sum(Mul(w, c), false).Backward()
	require.Equal(t, float32(6), w.Grad.Data()[0])
	w.ReleaseGrad()
	require.Nil(t, w.Grad)

	seed := tensor.Full(1, 100)
	w.BackwardWith(seed)
	w.ReleaseGrad()
	require.Equal(t, float32(1), seed.Data()[99], "the caller's gradient is not released")
	Sum(Mul(w, c), false).Backward()
	require.Equal(t, float32(3), w.Grad.Data()[0])
}

func TestIntermediateGradientsReturnToThePool(t *testing.T) {
	// A chain of reshapes and element-wise ops passes gradients through and
	// replaces them; every released intermediate must leave the leaves'
	// gradients correct.
	x := Param(tensor.Full(1, 8, 16))
	h := Reshape(MulScalar(x, 2), 128)
	k := AddScalar(h, 1)
	y := Sum(Add(Mul(k, k), Reshape(x, 128)), false)
	y.Backward()
	// ∂/∂x of Σ (2x+1)² + x = 4(2x+1) + 1 = 13 at x = 1.
	for _, v := range x.Grad.Data() {
		require.Equal(t, float32(13), v)
	}
	y.ReleaseGraph()
}
