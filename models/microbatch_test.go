package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// TestMicroBatchLogits checks that inference in micro-batches
// (forwardFeatures) gives the logits of the whole batch in one pass bit
// for bit, for micro-batches of 2 and 3 images of a batch of 7 (the last
// one taking 3 and 4),
// at 112×112 and (frozen) 224×224, on networks with squeeze-excite, LightNL blocks (AutoNL-S), ReLU6 and
// Swish, frozen and not, with random batch norm statistics.
func TestMicroBatchLogits(t *testing.T) {
	defer func(b, p int) { microBatch, microMinPixels, microHook = b, p, nil }(microBatch, microMinPixels)
	leads := 0
	microHook = func(lead int) {
		require.Positive(t, lead)
		leads++
	}
	for _, name := range []string{"mobilenetv2", "autonl-s", "mnasnet-a1"} {
		for _, frozen := range []bool{false, true} {
			size := 112
			if frozen {
				size = 224
			}
			rng := rand.New(rand.NewPCG(5, 6))
			net, err := New(name, rng, Config{Classes: 10})
			require.NoError(t, err)
			const nb = 7
			x := autograd.Const(tensor.Normal(rng, 0, 1, nb, 3, size, size))
			randomizeBN(rng, net, x)
			nn.SetTraining(net, false)
			if frozen {
				nn.Freeze(net)
			}
			logits := func(micro int, x *autograd.Var) []float32 {
				microBatch = micro
				var out []float32
				autograd.NoGrad(func() { out = net.Forward(x).Value.Data() })
				return out
			}
			microMinPixels = 56 * 56
			whole := logits(nb, x)
			for _, v := range whole {
				require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "logits %v", whole)
			}
			for _, micro := range []int{2, 3} {
				before := leads
				require.Equal(t, whole, logits(micro, x), "%s frozen %v, micro-batches of %d", name, frozen, micro)
				require.Equal(t, before+1, leads, "micro-batches not used")
			}
		}
	}
}

// TestMicroBatchNotInTraining checks that a network in training mode (batch
// norm with batch statistics), or with any one module in it, or recording
// a graph runs the whole batch at once: its logits would differ from
// those of micro-batches otherwise; and that so does a network with a
// module of a kind the zoo does not build.
func TestMicroBatchNotInTraining(t *testing.T) {
	defer func(b int) { microBatch = b }(microBatch)
	rng := rand.New(rand.NewPCG(7, 8))
	net, err := New("mobilenetv2", rng, Config{Classes: 10})
	require.NoError(t, err)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 3, 64, 64))
	nn.SetTraining(net, true)
	nn.SetTraining(net.Dropout(), false) // the same logits every time
	var whole, micro []float32
	microBatch = 4
	autograd.NoGrad(func() { whole = net.Forward(x).Value.Data() })
	microBatch = 1
	autograd.NoGrad(func() { micro = net.Forward(x).Value.Data() })
	require.Equal(t, whole, micro)
	y := net.Forward(x) // with gradients: a graph, whole batch
	require.Equal(t, whole, y.Value.Data())
	y.ReleaseGraph()

	// One batch norm of a micro-batched layer in training mode is enough.
	defer func() { microHook = nil }()
	used := false
	microHook = func(int) { used = true }
	nn.SetTraining(net, false)
	autograd.NoGrad(func() { net.Forward(x) })
	require.True(t, used)
	used = false
	nn.SetTraining(net.Blocks()[1].Expand.BN, true)
	autograd.NoGrad(func() { net.Forward(x) })
	require.False(t, used)

	// A module of a kind the zoo does not build (a custom LightNL
	// factory's, which might mix a batch's images) turns them off too.
	custom, err := New("autonl-s", rng, Config{Classes: 10, LightNL: func(channels int, _ float64, _ int) nn.Module {
		return &customBlock{}
	}})
	require.NoError(t, err)
	nn.SetTraining(custom, false)
	autograd.NoGrad(func() { custom.Forward(x) })
	require.False(t, used)
	plain, err := New("autonl-s", rng, Config{Classes: 10})
	require.NoError(t, err)
	nn.SetTraining(plain, false)
	autograd.NoGrad(func() { plain.Forward(x) })
	require.True(t, used)
}

// customBlock is a module of a kind the zoo does not build: the identity.
type customBlock struct{ nn.Base }

func (*customBlock) Forward(x *autograd.Var) *autograd.Var { return x }
