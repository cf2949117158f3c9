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
// one, bit for bit, in inference, and declines (nil) where it must not
// fuse: training-mode BN, gradients enabled, a tracer, a bias.
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
