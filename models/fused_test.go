package models_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// TestFusedInferenceMatchesUnfused checks that inference with the batch
// norms, activations and residual additions in the convolutions'
// epilogues (evaluation mode under NoGrad) computes the logits of the
// layers run one by one (under a tracer, which turns fusion off) bit for
// bit on MobileNetV2 (ReLU6), and within float32 rounding on networks
// with squeeze-excite, whose Sigmoid gate inference computes in float32
// (MnasNet-A1, AutoNL-S with ReLU6, which has LightNL blocks followed by
// skip connections too), and with Swish (AutoNL-S); and that with
// gradients enabled the same network records a graph and gives the same
// logits, so training is untouched.
func TestFusedInferenceMatchesUnfused(t *testing.T) {
	for _, name := range []string{"mobilenetv2", "mnasnet-a1", "autonl-s", "autonl-s relu6"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			cfg := models.Config{Classes: 10}
			if name == "autonl-s relu6" {
				name, cfg.Activation = "autonl-s", models.ReLU6
			}
			net := newZoo(t, name, rng, cfg)
			x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 3, 96, 96))
			models.RandomizeBN(rng, net, x)
			nn.SetTraining(net, false)
			var fused, unfused *tensor.Tensor
			autograd.NoGrad(func() { fused = net.Forward(x).Value })
			nn.Trace(func(nn.Module, *autograd.Var, *autograd.Var) {}, func() {
				autograd.NoGrad(func() { unfused = net.Forward(x).Value })
			})
			for _, v := range fused.Data() {
				require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "logits %v", fused.Data())
			}
			// Swish in float32 in the epilogue, and squeeze-excite's Sigmoid
			// gate in float32 (MnasNet-A1, AutoNL-S).
			if name != "mobilenetv2" {
				worst := 0.0
				for i, v := range unfused.Data() {
					require.InDelta(t, v, fused.Data()[i], 1e-4*max(1, math.Abs(float64(v))), "logit %d", i)
					worst = max(worst, math.Abs(float64(v-fused.Data()[i]))/max(1, math.Abs(float64(v))))
				}
				t.Logf("largest difference of a logit, relative to max(1, |logit|): %.2g", worst)
			} else {
				require.Equal(t, unfused.Data(), fused.Data())
			}

			y := net.Forward(x)
			require.True(t, y.RequiresGrad(), "with gradients enabled the forward pass records a graph")
			require.Equal(t, unfused.Data(), y.Value.Data(), "with gradients enabled, the layers run one by one")
			y.ReleaseGraph()
		})
	}
}

// TestFrozenInferenceMatchesUnfrozen checks that a frozen network
// (nn.Freeze) computes the logits of the same network unfrozen bit for
// bit, in evaluation mode under NoGrad, on MobileNetV2, MnasNet-A1 and
// AutoNL-S (squeeze-excite and LightNL blocks) at batches 1 and 2; and
// that with gradients enabled it computes the gradients of a network
// never frozen, so training is untouched.
func TestFrozenInferenceMatchesUnfrozen(t *testing.T) {
	for _, name := range []string{"mobilenetv2", "mnasnet-a1", "autonl-s"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			net := newZoo(t, name, rng, models.Config{Classes: 10})
			x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 64, 64))
			models.RandomizeBN(rng, net, x)
			nn.SetTraining(net, false)
			x1 := autograd.Const(tensor.FromSlice(x.Value.Data()[:3*64*64], 1, 3, 64, 64))
			logits := func(x *autograd.Var) []float32 {
				var y []float32
				autograd.NoGrad(func() { y = net.Forward(x).Value.Data() })
				return y
			}
			// The gradients of every parameter, in evaluation mode (no
			// dropout, fixed statistics).
			grads := func() [][]float32 {
				y := net.Forward(x)
				autograd.Mean(autograd.Mul(y, y), false).Backward()
				var g [][]float32
				for _, p := range nn.NamedParams(net) {
					g = append(g, append([]float32(nil), p.Var.Grad.Data()...))
					p.Var.ZeroGrad()
				}
				y.ReleaseGraph()
				return g
			}
			want, want1, wantGrads := logits(x), logits(x1), grads()
			nn.Freeze(net)
			require.Equal(t, want, logits(x), "batch 2")
			require.Equal(t, want1, logits(x1), "batch 1")
			require.Equal(t, wantGrads, grads(), "gradients after freezing")
			require.Equal(t, want, logits(x), "no longer frozen")
		})
	}
}

// TestFusedSEMatchesLayers checks that an MBConv layer with squeeze-excite
// in inference, whose unit takes its average pooling from the depthwise
// convolution's epilogue, computes what its parts run one by one under
// NoGrad compute (the depthwise ConvBNAct, then SqueezeExcite.Forward with
// its own pooling, then the projection), bit for bit, with and without the
// skip connection, at batches 1 and 3, frozen and not.
func TestFusedSEMatchesLayers(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, block := range []string{"r1_k5_s22_e3_i24_o40_se0.25", "r1_k3_s11_e6_i16_o16_se0.25", "r1_k3_s11_e1_i16_o24_se0.25"} {
		for _, n := range []int{1, 3} {
			rng := rand.New(rand.NewPCG(uint64(n), 3))
			m, err := models.NewMBConv(rng, mustBlock(t, block), models.MBConvConfig{Activation: models.Swish})
			require.NoError(t, err)
			require.NotNil(t, m.SE)
			x := autograd.Const(tensor.Normal(rng, 0, 1, n, m.Args.In, 20, 20))
			models.RandomizeBN(rng, m, x)
			nn.SetTraining(m, false)
			for _, frozen := range []bool{false, true} {
				if frozen {
					nn.Freeze(m)
				}
				var got, want *tensor.Tensor
				autograd.NoGrad(func() {
					got = m.Forward(x).Value
					y := x
					if m.Expand != nil {
						y = m.Expand.Forward(y)
					}
					y = m.SE.Forward(m.Depthwise.Forward(y))
					var adds []*autograd.Var
					if m.Skip {
						adds = append(adds, x)
					}
					want = nn.FusedConvBN(m.Project, m.ProjectBN, y, -inf, inf, false, adds...).Value
				})
				require.Equal(t, want.Data(), got.Data(), "%s batch %d frozen %v", block, n, frozen)
			}
		}
	}
}
