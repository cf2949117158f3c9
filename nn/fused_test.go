package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// TestFusedConvBN checks that FusedConvBN computes the layers run one by
// one, bit for bit, in inference, the additions too, and declines (nil)
// where it must not fuse: training-mode BN, gradients enabled, a tracer, a
// bias, an added tensor of another shape (which Add would broadcast).
func TestFusedConvBN(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conv := NewConv2d(rng, 8, 8, 3, ConvConfig{Padding: 1, Groups: 8})
	bn := NewBatchNorm2d(8, BatchNormConfig{})
	copy(bn.RunningMean.Data(), tensor.Normal(rng, 0, 1, 8).Data())
	copy(bn.RunningVar.Data(), tensor.Uniform(rng, 0.5, 2, 8).Data())
	copy(bn.Weight.Value.Data(), tensor.Normal(rng, 1, 0.5, 8).Data())
	SetTraining(bn, false)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 8, 9, 9))
	inf := float32(math.Inf(1))
	autograd.NoGrad(func() {
		want := bn.ForwardClamp(conv.Forward(x), 0, 6)
		got := FusedConvBN(conv, bn, x, 0, 6, false)
		require.NotNil(t, got)
		require.Equal(t, want.Value.Data(), got.Value.Data())

		r1 := autograd.Const(tensor.Normal(rng, 0, 1, 2, 8, 9, 9))
		r2 := autograd.Const(tensor.Normal(rng, 0, 1, 2, 8, 9, 9))
		added := FusedConvBN(conv, bn, x, 0, 6, false, r1, r2)
		require.NotNil(t, added)
		require.Equal(t, autograd.Add(r2, autograd.Add(r1, want)).Value.Data(), added.Value.Data())
		require.Nil(t, FusedConvBN(conv, bn, x, 0, 6, false, autograd.Const(tensor.New(2, 8, 1, 1))), "broadcast addition")

		Trace(func(Module, *autograd.Var, *autograd.Var) {}, func() {
			require.Nil(t, FusedConvBN(conv, bn, x, -inf, inf, false), "tracing")
		})
		SetTraining(bn, true)
		require.Nil(t, FusedConvBN(conv, bn, x, -inf, inf, false), "training-mode BN")
		SetTraining(bn, false)
		biased := NewConv2d(rng, 8, 8, 3, ConvConfig{Padding: 1, Groups: 8, Bias: true})
		require.Nil(t, FusedConvBN(biased, bn, x, -inf, inf, false), "bias")
	})
	require.Nil(t, FusedConvBN(conv, bn, x, -inf, inf, false), "gradients enabled")
}

// TestFusedConvBNHonoursChanges checks that FusedConvBN, which keeps the
// epilogue it made for a batch norm layer, computes the layers run one by
// one after every kind of change made once it has cached one: new running
// statistics, γ, β, eps, another clamp, a changed convolution weight, and
// a training step's worth of changes through the data in place.
func TestFusedConvBNHonoursChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	conv := NewConv2d(rng, 8, 16, 1, ConvConfig{})
	bn := NewBatchNorm2d(16, BatchNormConfig{})
	SetTraining(bn, false)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 8, 5, 5))
	check := func(what string, lo, hi float32) {
		t.Helper()
		autograd.NoGrad(func() {
			want := bn.ForwardClamp(conv.Forward(x), lo, hi)
			for range 2 { // the first call may make the epilogue, the second reuses it
				got := FusedConvBN(conv, bn, x, lo, hi, false)
				require.NotNil(t, got, what)
				require.Equal(t, want.Value.Data(), got.Value.Data(), what)
			}
		})
	}
	check("initial", 0, 6)
	steps := []struct {
		what   string
		change func()
	}{
		{"running mean", func() { bn.RunningMean.Data()[3] = 0.5 }},
		{"running variance", func() { bn.RunningVar.Data()[7] = 3 }},
		{"gamma", func() { bn.Weight.Value.Data()[0] = -2 }},
		{"beta", func() { bn.Bias.Value.Data()[15] = 1.25 }},
		{"eps", func() { bn.Eps = 1e-3 }},
		{"conv weight", func() { conv.Weight.Value.Data()[5] += 1 }},
		{"everything", func() {
			for _, d := range [][]float32{bn.RunningMean.Data(), bn.RunningVar.Data(), bn.Weight.Value.Data(), bn.Bias.Value.Data(), conv.Weight.Value.Data()} {
				for i := range d {
					d[i] *= 1.01
				}
			}
		}},
		{"a new statistics tensor", func() { bn.RunningVar = tensor.Uniform(rng, 0.5, 2, 16) }},
		{"minus zero", func() { bn.Bias.Value.Data()[2] = float32(math.Copysign(0, -1)) }},
	}
	for _, s := range steps {
		s.change()
		check(s.what, 0, 6)
	}
	check("another clamp", -1, 1)
	inf := float32(math.Inf(1))
	check("no clamp", -inf, inf)
	// Training mode in between changes the statistics through the layer.
	SetTraining(bn, true)
	bn.Forward(conv.Forward(x))
	SetTraining(bn, false)
	check("after a training-mode forward pass", 0, 6)
}
