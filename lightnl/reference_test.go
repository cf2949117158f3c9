package lightnl_test

// Comparisons with PyTorch. testdata/gen/gen_lightnl.py implements LightNL
// (DESIGN.md section 5) and Wang et al.'s dot-product non-local block in
// torch, and writes testdata/lightnl.safetensors: for each case the input,
// an upstream gradient, the weights (random, with non-zero BN γ) and
// running statistics, and the float64 reference outputs, gradients of x
// and of every parameter, and the running statistics after the pass, in
// training or evaluation mode. Run with -v to see the worst relative
// errors.

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/testref"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func maxAbs(t *tensor.Tensor) float64 {
	m := 0.0
	for _, v := range t.Data() {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

type refParams struct {
	Block    string   `json:"block"`
	N        int      `json:"n"`
	C        int      `json:"c"`
	H        int      `json:"h"`
	W        int      `json:"w"`
	Ratio    float64  `json:"ratio"`
	Stride   int      `json:"stride"`
	Train    bool     `json:"train"`
	Eps      float64  `json:"eps"`
	Momentum float64  `json:"momentum"`
	Order    string   `json:"order"`
	Repr     string   `json:"repr"`
	Keys     []string `json:"keys"`
}

// loadState copies the case's parameters and initial buffers into m,
// checking that m has exactly PyTorch's state-dict names.
func loadState(t *testing.T, c *testref.Case, p refParams, m nn.Module) {
	t.Helper()
	require.Equal(t, p.Repr, nn.Repr(m), "Repr differs from what PyTorch prints")
	var keys []string
	for _, ts := range nn.StateDict(m) {
		keys = append(keys, ts.Name)
	}
	require.Equal(t, p.Keys, keys, "state-dict names differ from PyTorch's")
	for _, q := range nn.NamedParams(m) {
		q.Var.Value.CopyFrom(c.Tensor("param/" + q.Name))
		q.Var.ZeroGrad()
	}
	for _, b := range nn.NamedBuffers(m) {
		b.Tensor.CopyFrom(c.Tensor("buffer/" + b.Name))
	}
	nn.SetTraining(m, p.Train)
}

// checkPass runs m on the case's input and compares the output, the
// gradients and the updated buffers with the reference; suffix tells the
// association order apart in the log.
func checkPass(t *testing.T, chk *testref.Checker, c *testref.Case, m nn.Module, suffix string) {
	t.Helper()
	x := autograd.Param(c.Tensor("x"))
	z := m.Forward(x)
	chk.Check(t, c.Name, "z"+suffix, z.Value, c.Tensor("z"))
	z.BackwardWith(c.Tensor("dy"))
	chk.Check(t, c.Name, "grad x"+suffix, x.Grad, c.Tensor("grad/x"))
	for _, q := range nn.NamedParams(m) {
		want := c.Tensor("grad/" + q.Name)
		if maxAbs(want) > 1e-9 {
			chk.Check(t, c.Name, "grad "+q.Name+suffix, q.Var.Grad, want)
			continue
		}
		// A gradient that is zero in exact arithmetic: in training mode the
		// batch norm cancels what is constant per channel over the batch,
		// so W_z's bias gets no gradient, and nor does θ's with a batch of
		// one (its effect is constant over one image's positions); the
		// reference holds float64 round-off, about 1e-15. Go's float32 sums
		// leave round-off of the scale of the sibling weight's gradient,
		// which sets the tolerance.
		weight := strings.TrimSuffix(q.Name, ".bias") + ".weight"
		scale := maxAbs(c.Tensor("grad/" + weight))
		got := maxAbs(q.Var.Grad)
		require.LessOrEqual(t, got, testref.RTol*scale,
			"%s: grad %s is 0 in exact arithmetic; got max %.3g, max|grad %s| = %.3g", c.Name, q.Name, got, weight, scale)
		t.Logf("grad %s%s is 0 in exact arithmetic: got max %.3g = %.3g·max|grad %s|", q.Name, suffix, got, got/scale, weight)
	}
	for _, b := range nn.NamedBuffers(m) {
		chk.Check(t, c.Name, "after "+b.Name, b.Tensor, c.Tensor("after/"+b.Name))
	}
}

func TestReferenceLightNL(t *testing.T) {
	seen := map[lightnl.Order]bool{}
	testref.Load(t, "lightnl.safetensors").Run(t, "lnl", "LightNL vs PyTorch", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p refParams
		c.Params(&p)
		require.Equal(t, "lightnl", p.Block)
		b := lightnl.New(rand.New(rand.NewPCG(1, 2)), p.C,
			lightnl.Config{Ratio: p.Ratio, Stride: p.Stride, BN: nn.BatchNormConfig{Eps: p.Eps, Momentum: p.Momentum}})
		auto := b.OrderFor(p.H, p.W)
		require.Equal(t, p.Order, auto.String(), "the order the cost formula picks")
		seen[auto] = true
		for _, order := range []lightnl.Order{lightnl.OrderA, lightnl.OrderB} {
			loadState(t, c, p, b)
			b.Order = order
			sfx := " (" + order.String() + ")"
			autograd.NoGrad(func() {
				chk.Check(t, c.Name, "attention"+sfx, b.Attention(autograd.Const(c.Tensor("x"))).Value, c.Tensor("attention"))
			})
			checkPass(t, chk, c, b, sfx)
		}
		t.Logf("C=%d %d×%d r=%v s=%d train=%v: rC=%d, automatic order %v",
			p.C, p.H, p.W, p.Ratio, p.Stride, p.Train, b.Reduced, auto)
	})
	require.True(t, seen[lightnl.OrderA] && seen[lightnl.OrderB], "the cases should exercise both automatic orders")
}

func TestReferenceNonLocal(t *testing.T) {
	testref.Load(t, "lightnl.safetensors").Run(t, "nl", "NonLocal vs PyTorch", func(t *testing.T, c *testref.Case, chk *testref.Checker) {
		var p refParams
		c.Params(&p)
		require.Equal(t, "nonlocal", p.Block)
		b := lightnl.NewNonLocal(rand.New(rand.NewPCG(1, 2)), p.C,
			lightnl.NonLocalConfig{Stride: p.Stride, BN: nn.BatchNormConfig{Eps: p.Eps, Momentum: p.Momentum}})
		loadState(t, c, p, b)
		checkPass(t, chk, c, b, "")
	})
}
