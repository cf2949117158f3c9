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
