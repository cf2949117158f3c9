package lightnl_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5eed)) }

type shape struct {
	n, c, h, w int
	ratio      float64
	stride     int
}

func (s shape) String() string {
	return fmt.Sprintf("%dx%dx%dx%d_r%v_s%d", s.n, s.c, s.h, s.w, s.ratio, s.stride)
}

var blockShapes = []shape{
	{2, 8, 7, 7, 0.25, 2},
	{2, 16, 9, 11, 0.125, 2},
	{1, 24, 8, 8, 0.25, 1},
	{2, 32, 5, 5, 0.25, 2},
	{2, 64, 3, 3, 0.25, 1},
	{3, 10, 5, 4, 0.25, 1},
	{2, 12, 7, 8, 0.25, 3},
	{2, 4, 1, 1, 1, 1},
	{2, 6, 2, 3, 0.5, 4}, // stride larger than the map: one key
}

// randomize gives a block's parameters random values, BN γ included, so that
// its output depends on the attention.
func randomize(rng *rand.Rand, m nn.Module) {
	for _, p := range nn.NamedParams(m) {
		p.Var.Value.CopyFrom(tensor.Normal(rng, 0.3, 1, p.Var.Value.Shape()...))
	}
}

// A fresh block adds exactly zero: its output is its input bit for bit, in
// both modes and both orders, and the gradient of the input is the upstream
// gradient, while γ receives a gradient so that training can start.
func TestFreshBlockIsIdentity(t *testing.T) {
	for _, s := range blockShapes {
		for _, train := range []bool{true, false} {
			for _, order := range []lightnl.Order{lightnl.OrderAuto, lightnl.OrderA, lightnl.OrderB} {
				rng := newRNG(1)
				b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride, Order: order})
				nn.SetTraining(b, train)
				x := autograd.Param(tensor.Normal(rng, 0.5, 2, s.n, s.c, s.h, s.w))
				if train && s.n*s.h*s.w < 2 {
					continue // BN needs two values per channel in training mode
				}
				z := b.Forward(x)
				require.Equal(t, x.Value.Data(), z.Value.Data(), "%v train=%v order %v", s, train, order)
				dy := tensor.Normal(rng, 0, 1, z.Shape()...)
				z.BackwardWith(dy)
				require.Equal(t, dy.Data(), x.Grad.Data(), "%v train=%v order %v: ∂x", s, train, order)
				require.NotEqual(t, 0.0, maxAbs(b.BN.Weight.Grad), "%v: γ gets a gradient", s)
			}
		}
	}
	for _, s := range []struct{ n, c, h, w, stride int }{{2, 8, 6, 6, 1}, {2, 7, 7, 9, 2}, {1, 2, 2, 2, 2}} {
		for _, train := range []bool{true, false} {
			rng := newRNG(2)
			b := lightnl.NewNonLocal(rng, s.c, lightnl.NonLocalConfig{Stride: s.stride})
			nn.SetTraining(b, train)
			x := autograd.Param(tensor.Normal(rng, 0.5, 2, s.n, s.c, s.h, s.w))
			z := b.Forward(x)
			require.Equal(t, x.Value.Data(), z.Value.Data(), "NonLocal %+v train=%v", s, train)
			dy := tensor.Normal(rng, 0, 1, z.Shape()...)
			z.BackwardWith(dy)
			require.Equal(t, dy.Data(), x.Grad.Data(), "NonLocal %+v train=%v: ∂x", s, train)
		}
	}
}

// The two association orders compute the same output and gradients, up to
// float32 rounding.
func TestOrdersAgree(t *testing.T) {
	type result struct{ z, dx, attention *tensor.Tensor }
	for _, s := range blockShapes {
		for _, train := range []bool{true, false} {
			if train && s.n*s.h*s.w < 2 {
				continue
			}
			rng := newRNG(3)
			x := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
			dy := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
			b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride})
			randomize(rng, b)
			nn.SetTraining(b, train)
			run := func(o lightnl.Order) (r result, grads []*tensor.Tensor) {
				b.Order = o
				for _, p := range nn.NamedParams(b) {
					p.Var.ZeroGrad()
				}
				xv := autograd.Param(x.Clone())
				z := b.Forward(xv)
				z.BackwardWith(dy)
				autograd.NoGrad(func() { r.attention = b.Attention(autograd.Const(x)).Value })
				for _, p := range nn.NamedParams(b) {
					grads = append(grads, p.Var.Grad)
				}
				return result{z.Value, xv.Grad, r.attention}, grads
			}
			ra, ga := run(lightnl.OrderA)
			rb, gb := run(lightnl.OrderB)
			name := fmt.Sprintf("%v train=%v", s, train)
			requireClose(t, ra.attention, rb.attention, name+": attention")
			requireClose(t, ra.z, rb.z, name+": z")
			requireClose(t, ra.dx, rb.dx, name+": ∂x")
			for i, p := range nn.NamedParams(b) {
				requireClose(t, ga[i], gb[i], name+": ∂"+p.Name)
			}
		}
	}
}

// requireClose checks |a − b| ≤ 1e-5·max|b| + 1e-6 elementwise.
func requireClose(t *testing.T, a, b *tensor.Tensor, what string) {
	t.Helper()
	require.Equal(t, b.Shape(), a.Shape(), what)
	tol := 1e-5*maxAbs(b) + 1e-6
	worst := 0.0
	for i, v := range a.Data() {
		worst = max(worst, abs(float64(v)-float64(b.Data()[i])))
	}
	require.LessOrEqual(t, worst, tol, "%s: max difference %.3g", what, worst)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// The attention is y = V·(KᵀQ)/(H·W), computed here by its definition with
// explicit loops over the ⌈H/s⌉·⌈W/s⌉ strided positions.
func TestAttentionDefinition(t *testing.T) {
	for _, s := range blockShapes {
		rng := newRNG(4)
		x := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
		b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride})
		var y *tensor.Tensor
		autograd.NoGrad(func() { y = b.Attention(autograd.Const(x)).Value })
		rc := lightnl.ReducedChannels(s.c, s.ratio)
		want := tensor.New(s.n, s.c, s.h, s.w)
		for n := range s.n {
			for i := range s.h {
				for j := range s.w {
					for c := range s.c {
						var sum float64
						for a := 0; a < s.h; a += s.stride {
							for bb := 0; bb < s.w; bb += s.stride {
								var kq float64
								for r := range rc {
									kq += float64(x.At(n, r, a, bb)) * float64(x.At(n, r, i, j))
								}
								sum += float64(x.At(n, c, a, bb)) * kq
							}
						}
						want.Set(float32(sum/float64(s.h*s.w)), n, c, i, j)
					}
				}
			}
		}
		requireClose(t, y, want, s.String())
	}
}

// Gradients through both orders, in both modes, against finite differences,
// for the input and every parameter.
func TestBlockGrad(t *testing.T) {
	for _, s := range []shape{{2, 8, 5, 5, 0.25, 2}, {2, 8, 4, 3, 0.5, 1}, {1, 6, 3, 4, 0.5, 2}} {
		for _, train := range []bool{true, false} {
			for _, order := range []lightnl.Order{lightnl.OrderA, lightnl.OrderB} {
				rng := newRNG(5)
				b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride, Order: order})
				randomize(rng, b)
				nn.SetTraining(b, train)
				x := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
				f := func(in ...*autograd.Var) *autograd.Var {
					b.Conv.Weight, b.BN.Weight, b.BN.Bias = in[1], in[2], in[3]
					return b.Forward(in[0])
				}
				rep := autograd.CheckGrad(f, x, b.Conv.Weight.Value, b.BN.Weight.Value, b.BN.Bias.Value)
				t.Logf("%v train=%v order %v: %v", s, train, order, rep)
				require.Less(t, rep.Error, 2e-3, "%v train=%v order %v: %v", s, train, order, rep)
			}
		}
	}
}

func TestNonLocalGrad(t *testing.T) {
	for _, s := range []struct{ n, c, h, w, stride int }{{2, 6, 4, 4, 1}, {2, 4, 5, 5, 2}, {2, 5, 4, 5, 2}} {
		for _, train := range []bool{true, false} {
			rng := newRNG(6)
			b := lightnl.NewNonLocal(rng, s.c, lightnl.NonLocalConfig{Stride: s.stride})
			for _, p := range nn.NamedParams(b) {
				p.Var.Value.CopyFrom(tensor.Normal(rng, 0, 0.5, p.Var.Value.Shape()...))
			}
			nn.SetTraining(b, train)
			// Distinct inputs 0.02 apart keep every max-pool window's maximum
			// unique by more than the finite-difference step 0.01.
			x := tensor.New(s.n, s.c, s.h, s.w)
			perm := rng.Perm(x.Len())
			for i := range x.Data() {
				x.Data()[i] = 0.02 * float32(perm[i]-x.Len()/2)
			}
			params := nn.NamedParams(b)
			inputs := []*tensor.Tensor{x}
			for _, p := range params {
				inputs = append(inputs, p.Var.Value)
			}
			f := func(in ...*autograd.Var) *autograd.Var {
				b.Theta.Weight, b.Theta.Bias = in[1], in[2]
				b.Phi.Weight, b.Phi.Bias = in[3], in[4]
				b.G.Weight, b.G.Bias = in[5], in[6]
				b.WZ.Weight, b.WZ.Bias = in[7], in[8]
				b.BN.Weight, b.BN.Bias = in[9], in[10]
				return b.Forward(in[0])
			}
			require.Len(t, params, 10)
			// A step of 1e-3, not the default 1e-2: in training mode the
			// batch norm after W_z, whose input has few channels behind it,
			// is curved enough for the default step's truncation error to
			// reach a few percent; at 1e-3 float32 round-off, about 1e-3,
			// dominates. The comparison with PyTorch checks to 1e-4.
			rep := autograd.CheckGradWith(autograd.GradCheckConfig{Step: 1e-3}, f, inputs...)
			t.Logf("NonLocal %+v train=%v: %v", s, train, rep)
			require.Less(t, rep.Error, 5e-3, "NonLocal %+v train=%v: %v", s, train, rep)
		}
	}
}

func TestCosts(t *testing.T) {
	rng := newRNG(7)
	for _, s := range []struct {
		c, h, w int
		ratio   float64
		stride  int
	}{{24, 56, 56, 0.25, 1}, {40, 28, 28, 0.25, 2}, {192, 7, 7, 0.125, 2}, {320, 7, 7, 0.25, 1}, {10, 4, 4, 0.25, 1}} {
		b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride})
		require.Equal(t, lightnl.BlockMACs(s.c, s.h, s.w, s.ratio, s.stride), b.MACs(s.h, s.w))
		require.Equal(t, lightnl.LightNLParams(s.c), b.ParamCount())
		require.Equal(t, nn.NumParams(b), b.ParamCount())
		require.Equal(t, lightnl.CheaperOrder(s.c, s.h, s.w, s.ratio, s.stride), b.OrderFor(s.h, s.w))
		b.Order = lightnl.OrderA
		require.Equal(t, lightnl.OrderA, b.OrderFor(s.h, s.w))

		nl := lightnl.NewNonLocal(rng, s.c, lightnl.NonLocalConfig{Stride: s.stride})
		require.Equal(t, lightnl.NonLocalMACs(s.c, s.h, s.w, s.stride), nl.MACs(s.h, s.w))
		require.Equal(t, lightnl.NonLocalParams(s.c), nl.ParamCount())
		require.Equal(t, nn.NumParams(nl), nl.ParamCount())
	}
	// Odd C: C' = ⌊C/2⌋.
	nl := lightnl.NewNonLocal(rng, 15, lightnl.NonLocalConfig{})
	require.Equal(t, 7, nl.Inner)
	require.Equal(t, nn.NumParams(nl), lightnl.NonLocalParams(15))
}

func TestDefaultsAndPrinting(t *testing.T) {
	b := lightnl.New(newRNG(9), 24, lightnl.Config{BN: nn.BatchNormConfig{Eps: 1e-3, Momentum: 0.01}})
	require.Equal(t, 0.25, b.Ratio)
	require.Equal(t, 1, b.Stride)
	require.Equal(t, 6, b.Reduced)
	require.Equal(t, lightnl.OrderAuto, b.Order)
	require.Equal(t, "LightNL(\n"+
		"  24, ratio=0.25, stride=1\n"+
		"  (conv): Conv2d(24, 24, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=24, bias=False)\n"+
		"  (bn): BatchNorm2d(24, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)\n"+
		")", nn.Repr(b))
	var names []string
	for _, p := range nn.NamedParams(b) {
		names = append(names, p.Name)
	}
	require.Equal(t, []string{"conv.weight", "bn.weight", "bn.bias"}, names)
	require.Equal(t, "LightNL", must(b.Describe()))
	require.Contains(t, b.String(), "# 264 params total")
	require.Equal(t, make([]float32, 24), b.BN.Weight.Value.Data(), "γ starts at 0")

	b = lightnl.New(newRNG(9), 8, lightnl.Config{Ratio: 1, Stride: 2})
	_, extra := b.Describe()
	require.Equal(t, "8, ratio=1.0, stride=2", extra)

	nl := lightnl.NewNonLocal(newRNG(9), 8, lightnl.NonLocalConfig{Stride: 2})
	names = nil
	for _, p := range nn.NamedParams(nl) {
		names = append(names, p.Name)
	}
	require.Equal(t, []string{"theta.weight", "theta.bias", "phi.weight", "phi.bias", "g.weight", "g.bias",
		"w_z.weight", "w_z.bias", "bn.weight", "bn.bias"}, names)
	_, extra = nl.Describe()
	require.Equal(t, "8, inter_channels=4, stride=2", extra)
	require.Contains(t, nl.String(), "NonLocal(")
	require.Equal(t, make([]float32, 8), nl.BN.Weight.Value.Data(), "γ starts at 0")

	require.Equal(t, "auto", lightnl.OrderAuto.String())
	require.Equal(t, "Order(7)", lightnl.Order(7).String())
}

func must(name, _ string) string { return name }

func TestPanics(t *testing.T) {
	rng := newRNG(10)
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"no channels", func() { lightnl.New(rng, 0, lightnl.Config{}) },
			"lightnl: New: 0 channels, want at least 1"},
		{"ratio leaves 0 channels", func() { lightnl.New(rng, 3, lightnl.Config{Ratio: 0.25}) },
			"lightnl: New: ratio 0.25 of 3 channels leaves ⌊r·C⌋ = 0 query and key channels; want r·C ≥ 1"},
		{"ratio 0.125 of 7", func() { lightnl.New(rng, 7, lightnl.Config{Ratio: 0.125}) },
			"lightnl: New: ratio 0.125 of 7 channels leaves ⌊r·C⌋ = 0 query and key channels; want r·C ≥ 1"},
		{"ratio above 1", func() { lightnl.New(rng, 8, lightnl.Config{Ratio: 1.5}) },
			"lightnl: New: ratio 1.5 out of range (0, 1]"},
		{"negative ratio", func() { lightnl.New(rng, 8, lightnl.Config{Ratio: -0.25}) },
			"lightnl: New: ratio -0.25 out of range (0, 1]"},
		{"negative stride", func() { lightnl.New(rng, 8, lightnl.Config{Stride: -1}) },
			"lightnl: New: negative key stride -1"},
		{"bad order", func() { lightnl.New(rng, 8, lightnl.Config{Order: 3}) },
			"lightnl: New: invalid order Order(3), want OrderAuto, OrderA or OrderB"},
		{"channels mismatch", func() {
			lightnl.New(rng, 8, lightnl.Config{}).Forward(autograd.Const(tensor.New(1, 6, 4, 4)))
		}, "lightnl: Block: input [1 6 4 4] has 6 channels, want 8"},
		{"not 4-D", func() {
			lightnl.New(rng, 8, lightnl.Config{}).Forward(autograd.Const(tensor.New(8, 16)))
		}, "lightnl: Block: input [8 16] is not 4-D N×C×H×W"},
		{"forced bad order", func() {
			b := lightnl.New(rng, 8, lightnl.Config{})
			b.Order = -1
			b.Forward(autograd.Const(tensor.New(1, 8, 4, 4)))
		}, "lightnl: Block: invalid order Order(-1), want OrderAuto, OrderA or OrderB"},
		{"non-local one channel", func() { lightnl.NewNonLocal(rng, 1, lightnl.NonLocalConfig{}) },
			"lightnl: NewNonLocal: 1 channels leave ⌊C/2⌋ = 0 inner channels; want at least 2"},
		{"non-local negative stride", func() { lightnl.NewNonLocal(rng, 8, lightnl.NonLocalConfig{Stride: -2}) },
			"lightnl: NewNonLocal: negative key stride -2"},
		{"non-local channels mismatch", func() {
			lightnl.NewNonLocal(rng, 8, lightnl.NonLocalConfig{}).Forward(autograd.Const(tensor.New(1, 4, 4, 4)))
		}, "lightnl: NonLocal: input [1 4 4 4] has 4 channels, want 8"},
		{"non-local not 4-D", func() {
			lightnl.NewNonLocal(rng, 8, lightnl.NonLocalConfig{}).Forward(autograd.Const(tensor.New(1, 8, 4)))
		}, "lightnl: NonLocal: input [1 8 4] is not 4-D N×C×H×W"},
		{"non-local map below stride", func() {
			lightnl.NewNonLocal(rng, 8, lightnl.NonLocalConfig{Stride: 2}).Forward(autograd.Const(tensor.New(1, 8, 1, 4)))
		}, "lightnl: NonLocal: input [1 8 1 4] is smaller than the key stride 2: no keys"},
	} {
		t.Run(tc.name, func(t *testing.T) { require.PanicsWithValue(t, tc.msg, tc.f) })
	}
}

// TestForwardAdd checks that ForwardAdd(x, r) is Add(r, Forward(x)) bit
// for bit: in inference, where the additions run in the depthwise
// convolution's epilogue, and where they cannot (a tracer, training-mode
// BN); that a tracer still sees the block's own output; and that with
// gradients enabled it records a graph whose gradients reach x, r and the
// parameters (training is untouched).
func TestForwardAdd(t *testing.T) {
	for _, s := range blockShapes {
		for _, order := range []lightnl.Order{lightnl.OrderA, lightnl.OrderB} {
			rng := newRNG(11)
			b := lightnl.New(rng, s.c, lightnl.Config{Ratio: s.ratio, Stride: s.stride, Order: order})
			randomize(rng, b)
			x := autograd.Const(tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w))
			r := autograd.Const(tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w))
			for _, train := range []bool{false, true} {
				nn.SetTraining(b, train)
				autograd.NoGrad(func() {
					want := autograd.Add(r, b.Forward(x)).Value.Data()
					require.Equal(t, want, b.ForwardAdd(x, r).Value.Data(), "%v order %v train=%v", s, order, train)
					var traced []float32 // copied: the block's output is discarded once added
					nn.Trace(func(m nn.Module, _, y *autograd.Var) {
						if m == nn.Module(b) {
							traced = append([]float32(nil), y.Value.Data()...)
						}
					}, func() {
						require.Equal(t, want, b.ForwardAdd(x, r).Value.Data(), "%v order %v traced", s, order)
					})
					require.NotNil(t, traced, "the tracer saw the block")
					require.Equal(t, b.Forward(x).Value.Data(), traced, "the tracer saw the block's output")
				})
			}
			nn.SetTraining(b, false)
			want := autograd.Add(r, b.Forward(x)).Value.Data()
			xv, rv := autograd.Param(x.Value), autograd.Param(r.Value)
			y := b.ForwardAdd(xv, rv)
			require.True(t, y.RequiresGrad())
			require.Equal(t, want, y.Value.Data())
			autograd.Sum(y, false).Backward()
			require.NotNil(t, xv.Grad)
			require.Equal(t, tensor.Ones(s.n, s.c, s.h, s.w).Data(), rv.Grad.Data(), "∂/∂r of a sum")
			require.NotNil(t, b.Conv.Weight.Grad)
			y.ReleaseGraph()
			for _, p := range nn.NamedParams(b) {
				p.Var.ZeroGrad()
			}
		}
	}
}
