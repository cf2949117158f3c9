package nn_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// gradTol is the largest CheckGrad error accepted for smooth float32
// compositions, as in package autograd.
const gradTol = 1e-2

// Finite-difference checks of the layers that compose autograd ops in new
// ways. The parameters are swapped for CheckGrad's Vars inside f.

func TestSqueezeExciteGrad(t *testing.T) {
	rng := newRNG(20)
	tests := []struct {
		name      string
		act, gate nn.Module
	}{
		{"swish sigmoid", nn.NewSwish(), nn.NewSigmoid()},
		{"default relu sigmoid", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			se := nn.NewSqueezeExcite(rng, 4, 3, tc.act, tc.gate)
			// Biases away from ReLU's kink, so that finite differences
			// are valid for the default activation.
			se.FC1.Bias.Value.CopyFrom(tensor.FromSlice([]float32{0.8, -0.9, 1.1}, 3))
			r := autograd.CheckGrad(func(in ...*autograd.Var) *autograd.Var {
				se.FC1.Weight, se.FC1.Bias, se.FC2.Weight, se.FC2.Bias = in[1], in[2], in[3], in[4]
				return se.Forward(in[0])
			}, tensor.Normal(rng, 0, 0.5, 2, 4, 3, 3), se.FC1.Weight.Value, se.FC1.Bias.Value, se.FC2.Weight.Value, se.FC2.Bias.Value)
			require.Less(t, r.Error, gradTol, "%v", r)
		})
	}
}

func TestBatchNorm2dGrad(t *testing.T) {
	rng := newRNG(21)
	for _, training := range []bool{true, false} {
		for _, shape := range [][]int{{3, 2, 3, 2}, {5, 3}} {
			bn := nn.NewBatchNorm2d(shape[1], nn.BatchNormConfig{})
			bn.RunningMean.CopyFrom(tensor.Normal(rng, 0, 1, shape[1]))
			bn.RunningVar.CopyFrom(tensor.Uniform(rng, 0.5, 2, shape[1]))
			nn.SetTraining(bn, training)
			r := autograd.CheckGrad(func(in ...*autograd.Var) *autograd.Var {
				bn.Weight, bn.Bias = in[1], in[2]
				return bn.Forward(in[0])
			}, tensor.Normal(rng, 0, 1, shape...), tensor.Normal(rng, 1, 0.5, shape[1]), tensor.Normal(rng, 0, 0.5, shape[1]))
			require.Less(t, r.Error, gradTol, "training %v, shape %v: %v", training, shape, r)
		}
	}
}

func TestLinearGrad(t *testing.T) {
	rng := newRNG(22)
	for _, shape := range [][]int{{3, 5}, {2, 3, 5}, {5}} {
		for _, bias := range []bool{true, false} {
			l := nn.NewLinear(rng, 5, 4, bias)
			inputs := []*tensor.Tensor{tensor.Normal(rng, 0, 1, shape...), l.Weight.Value}
			if bias {
				inputs = append(inputs, l.Bias.Value)
			}
			r := autograd.CheckGrad(func(in ...*autograd.Var) *autograd.Var {
				l.Weight = in[1]
				if bias {
					l.Bias = in[2]
				}
				return l.Forward(in[0])
			}, inputs...)
			require.Less(t, r.Error, gradTol, "shape %v, bias %v: %v", shape, bias, r)
		}
	}
}

func TestDropoutGrad(t *testing.T) {
	// A fixed mask per call: the same seed for every evaluation.
	r := autograd.CheckGrad(func(in ...*autograd.Var) *autograd.Var {
		return nn.NewDropout(0.4, newRNG(23)).Forward(in[0])
	}, tensor.Normal(newRNG(24), 0, 1, 3, 4))
	require.Less(t, r.Error, gradTol, "%v", r)
}
