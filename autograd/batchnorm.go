package autograd

import (
	"math"

	"github.com/autonl-go/autonl/tensor"
)

// valueOrNil returns v's value, or nil for a nil Var.
func valueOrNil(v *Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value
}

// batchNormInputs returns x and the non-nil affine parameters.
func batchNormInputs(x, gamma, beta *Var) []*Var {
	inputs := []*Var{x}
	for _, v := range []*Var{gamma, beta} {
		if v != nil {
			inputs = append(inputs, v)
		}
	}
	return inputs
}

// BatchNormTrain normalizes x (N×C or N×C×H×W, channel axis 1) with its
// batch statistics, tensor.BatchNormTrain: y = (x − μ)/sqrt(σ² + eps)·γ + β
// per channel. gamma and beta are [C] Vars, or nil for γ = 1 and β = 0.
// The statistics are returned for updating running averages.
//
// Backward, with g = ∂y, x̂ = (x − μ)·InvStd and M = N·H·W (see
// tensor.BatchNormGrad), gradients flowing through μ and σ² included:
//
//	∂β = Σ g,  ∂γ = Σ g·x̂,  ∂x = γ·InvStd·(g − ∂β/M − x̂·∂γ/M).
func BatchNormTrain(x, gamma, beta *Var, eps float32) (*Var, tensor.BatchNormStats) {
	y, s := tensor.BatchNormTrain(x.Value, valueOrNil(gamma), valueOrNil(beta), eps)
	out := record("BatchNormTrain", y, batchNormInputs(x, gamma, beta), func(g *tensor.Tensor) {
		dx, dgamma, dbeta := tensor.BatchNormGrad(g, x.Value, valueOrNil(gamma), s)
		accumulateOrRelease(x, dx)
		accumulateOrRelease(gamma, dgamma)
		accumulateOrRelease(beta, dbeta)
	})
	return out, s
}

// BatchNormTrainClamp is BatchNormTrain followed by Clamp(·, lo, hi),
// computed in one pass by tensor.BatchNormTrainClamp: with lo = 0 it is BN
// followed by ReLU (hi = +Inf) or ReLU6 (hi = 6), without the intermediate
// BN output. It panics if lo > hi.
//
// Backward, with y the clamped output: BatchNormTrain's rule applied to g
// masked to 0 wherever y is not strictly inside (lo, hi)
// (tensor.BatchNormClampGrad), the subgradient of ReLU and ReLU6 at their
// kinks.
func BatchNormTrainClamp(x, gamma, beta *Var, eps, lo, hi float32) (*Var, tensor.BatchNormStats) {
	y, s := tensor.BatchNormTrainClamp(x.Value, valueOrNil(gamma), valueOrNil(beta), eps, lo, hi)
	out := record("BatchNormTrainClamp", y, batchNormInputs(x, gamma, beta), func(g *tensor.Tensor) {
		dx, dgamma, dbeta := tensor.BatchNormClampGrad(g, x.Value, y, valueOrNil(gamma), s, lo, hi)
		accumulateOrRelease(x, dx)
		accumulateOrRelease(gamma, dgamma)
		accumulateOrRelease(beta, dbeta)
	})
	return out, s
}

// BatchNormEval normalizes x (N×C or N×C×H×W, channel axis 1) with the
// given statistics, tensor.BatchNormInference: y = (x − mean)/sqrt(variance
// + eps)·γ + β per channel, as in evaluation mode or with frozen
// statistics. mean and variance are constant [C] tensors; gamma and beta
// are [C] Vars or nil (γ = 1, β = 0).
//
// Backward, with g = ∂y, inv = 1/sqrt(variance + eps) and x̂ = (x − mean)·inv:
//
//	∂x = g·γ·inv,  ∂γ = Σ g·x̂,  ∂β = Σ g.
//
// ∂x is computed as BatchNormInference(g, γ, nil, 0, variance, eps), and ∂γ
// and ∂β by tensor.BatchNormGrad with the given statistics (whose ∂x, the
// training-mode one, is discarded).
func BatchNormEval(x, gamma, beta *Var, mean, variance *tensor.Tensor, eps float32) *Var {
	y := tensor.BatchNormInference(x.Value, valueOrNil(gamma), valueOrNil(beta), mean, variance, eps)
	return record("BatchNormEval", y, batchNormInputs(x, gamma, beta), func(g *tensor.Tensor) {
		batchNormEvalBackward(g, x, gamma, beta, mean, variance, eps)
	})
}

// BatchNormEvalClamp is BatchNormEval followed by Clamp(·, lo, hi),
// computed in one pass by tensor.BatchNormInferenceClamp (see
// BatchNormTrainClamp). It panics if lo > hi.
//
// Backward, with y the clamped output: BatchNormEval's rule applied to g
// masked to 0 wherever y is not strictly inside (lo, hi).
func BatchNormEvalClamp(x, gamma, beta *Var, mean, variance *tensor.Tensor, eps, lo, hi float32) *Var {
	y := tensor.BatchNormInferenceClamp(x.Value, valueOrNil(gamma), valueOrNil(beta), mean, variance, eps, lo, hi)
	return record("BatchNormEvalClamp", y, batchNormInputs(x, gamma, beta), func(g *tensor.Tensor) {
		gm := tensor.New(g.Shape()...)
		md, gd, yd := gm.Data(), g.Data(), y.Data()
		for i, v := range yd {
			if lo < v && v < hi {
				md[i] = gd[i]
			}
		}
		batchNormEvalBackward(gm, x, gamma, beta, mean, variance, eps)
		tensor.Release(gm)
	})
}

// batchNormEvalBackward passes the gradients of y = BatchNormEval(x, gamma,
// beta, mean, variance, eps) given g = ∂y to the inputs.
func batchNormEvalBackward(g *tensor.Tensor, x, gamma, beta *Var, mean, variance *tensor.Tensor, eps float32) {
	c := x.Value.Dim(1)
	if x.requiresGrad {
		x.accumulate(tensor.BatchNormInference(g, valueOrNil(gamma), nil, tensor.New(c), variance, eps))
	}
	if (gamma != nil && gamma.requiresGrad) || (beta != nil && beta.requiresGrad) {
		inv := tensor.New(c)
		for ch, v := range variance.Data() {
			inv.Data()[ch] = float32(1 / math.Sqrt(float64(v)+float64(eps)))
		}
		dx, dgamma, dbeta := tensor.BatchNormGrad(g, x.Value, valueOrNil(gamma), tensor.BatchNormStats{Mean: mean, Var: variance, InvStd: inv})
		tensor.Release(dx)
		accumulateOrRelease(gamma, dgamma)
		accumulateOrRelease(beta, dbeta)
	}
}

// accumulateOrRelease passes g to v if v is not nil and requires a
// gradient, and otherwise returns g's storage to the buffer pool.
func accumulateOrRelease(v *Var, g *tensor.Tensor) {
	if v != nil && v.requiresGrad {
		v.accumulate(g)
		return
	}
	tensor.Release(g)
}
