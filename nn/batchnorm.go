package nn

import (
	"fmt"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// BatchNormConfig configures NewBatchNorm2d. Zero fields mean PyTorch's
// defaults, momentum 0.1 and eps 1e-5 (MnasNet's TensorFlow code uses
// momentum 0.01 and eps 1e-3 in PyTorch's terms).
type BatchNormConfig struct {
	// Momentum is the weight of the batch statistics in the running
	// averages, in (0, 1]. (TensorFlow's decay is 1 − Momentum.)
	Momentum float64
	// Eps is added to the variance before the square root.
	Eps float64
}

// BatchNorm2d is batch normalization over the channel axis 1, PyTorch's
// torch.nn.BatchNorm2d with affine parameters and running statistics. For x
// of shape N×C×H×W (or N×C), per channel c,
//
//	y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c.
//
// In training mode μ and σ² are the mean and the biased variance of the
// channel over the batch and the spatial positions (M = N·H·W values), and
// the running statistics are updated as PyTorch does:
//
//	running_mean ← (1 − momentum)·running_mean + momentum·μ
//	running_var  ← (1 − momentum)·running_var  + momentum·σ²·M/(M − 1)
//	num_batches_tracked ← num_batches_tracked + 1
//
// (the running variance takes the unbiased batch variance). In evaluation
// mode μ and σ² are the running statistics. Gradients flow to x, γ and β
// in both modes, through μ and σ² in training mode.
//
// Its parameters are "weight" (γ, initially 1) and "bias" (β, initially 0);
// its buffers "running_mean" (initially 0), "running_var" (initially 1)
// and "num_batches_tracked", a scalar count stored as float32 (PyTorch's is
// int64; load_state_dict converts between the two).
type BatchNorm2d struct {
	Base
	// Weight and Bias are γ and β, each of shape [Channels]. To start a
	// residual branch at zero, as the last BN of a block often is, set
	// Weight.Value.Fill(0).
	Weight, Bias *autograd.Var
	// RunningMean and RunningVar are the running statistics, of shape
	// [Channels]; NumBatchesTracked is a scalar counting training batches.
	RunningMean, RunningVar, NumBatchesTracked *tensor.Tensor
	// Channels is the number of channels C.
	Channels int
	// Momentum and Eps are the options, with defaults filled in.
	Momentum, Eps float64

	// fused is FusedConvBN's epilogue of this layer in evaluation mode.
	fused tensor.BatchNormEpilogueCache
}

// NewBatchNorm2d returns batch normalization over c channels. It panics if
// c is not positive, the momentum is outside [0, 1] or eps is negative.
func NewBatchNorm2d(c int, opt BatchNormConfig) *BatchNorm2d {
	if c < 1 {
		panic(fmt.Sprintf("nn: NewBatchNorm2d: %d channels, want at least 1", c))
	}
	if opt.Momentum == 0 {
		opt.Momentum = 0.1
	}
	if opt.Eps == 0 {
		opt.Eps = 1e-5
	}
	if !(opt.Momentum > 0 && opt.Momentum <= 1) {
		panic(fmt.Sprintf("nn: NewBatchNorm2d: momentum %v out of range (0, 1]", opt.Momentum))
	}
	if !(opt.Eps > 0) {
		panic(fmt.Sprintf("nn: NewBatchNorm2d: eps %v is not positive", opt.Eps))
	}
	bn := &BatchNorm2d{Channels: c, Momentum: opt.Momentum, Eps: opt.Eps}
	bn.Weight = bn.RegisterParam("weight", autograd.Param(tensor.Ones(c)))
	bn.Bias = bn.RegisterParam("bias", autograd.Param(tensor.Zeros(c)))
	bn.RunningMean = bn.RegisterBuffer("running_mean", tensor.Zeros(c))
	bn.RunningVar = bn.RegisterBuffer("running_var", tensor.Ones(c))
	bn.NumBatchesTracked = bn.RegisterBuffer("num_batches_tracked", tensor.Scalar(0))
	return bn
}

// Forward normalizes x (N×C×H×W or N×C) with the batch statistics in
// training mode, updating the running statistics, and with the running
// statistics in evaluation mode. The update happens under NoGrad too. It
// panics if x has the wrong number of channels, or, in training mode, only
// one value per channel, whose variance is undefined.
func (bn *BatchNorm2d) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(bn, x, y) }()
	return bn.forward(x, bn.Weight, bn.Bias, false, 0, 0)
}

// ForwardClamp is Forward followed by a clamp of the output to [lo, hi],
// computed in the same pass over memory (autograd.BatchNormTrainClamp and
// BatchNormEvalClamp): with lo = 0 and hi = 6 it is BatchNorm2d followed by
// ReLU6, with hi = +Inf by ReLU, gradients included. It is traced as the
// batch norm's forward pass, with the clamped output. It panics as Forward
// does, and if lo > hi.
func (bn *BatchNorm2d) ForwardClamp(x *autograd.Var, lo, hi float32) (y *autograd.Var) {
	defer func() { Traced(bn, x, y) }()
	return bn.forward(x, bn.Weight, bn.Bias, true, lo, hi)
}

// ForwardAffine is Forward with gamma and beta, Vars of shape [Channels],
// in place of bn.Weight and bn.Bias: for affine parameters computed from
// them, such as a search's channel gates applied as γ⊙m and β⊙m, which
// zero the gated channels' output exactly while their gradients reach γ,
// β and the gates. The running statistics are bn's, updated as Forward
// updates them. It panics as Forward does, and if gamma or beta has the
// wrong shape.
func (bn *BatchNorm2d) ForwardAffine(x, gamma, beta *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(bn, x, y) }()
	bn.checkAffine(gamma, beta)
	return bn.forward(x, gamma, beta, false, 0, 0)
}

// ForwardAffineClamp is ForwardAffine followed by a clamp of the output to
// [lo, hi] in the same pass, as ForwardClamp is to Forward.
func (bn *BatchNorm2d) ForwardAffineClamp(x, gamma, beta *autograd.Var, lo, hi float32) (y *autograd.Var) {
	defer func() { Traced(bn, x, y) }()
	bn.checkAffine(gamma, beta)
	return bn.forward(x, gamma, beta, true, lo, hi)
}

func (bn *BatchNorm2d) checkAffine(gamma, beta *autograd.Var) {
	for _, p := range []struct {
		name string
		v    *autograd.Var
	}{{"gamma", gamma}, {"beta", beta}} {
		if s := p.v.Shape(); len(s) != 1 || s[0] != bn.Channels {
			panic(fmt.Sprintf("nn: BatchNorm2d: %s of shape %v, want [%d]", p.name, s, bn.Channels))
		}
	}
}

func (bn *BatchNorm2d) forward(x, gamma, beta *autograd.Var, clamp bool, lo, hi float32) *autograd.Var {
	s := x.Shape()
	if len(s) != 2 && len(s) != 4 {
		panic(fmt.Sprintf("nn: BatchNorm2d: input %v is not N×C×H×W or N×C", s))
	}
	if s[1] != bn.Channels {
		panic(fmt.Sprintf("nn: BatchNorm2d: input %v has %d channels, want %d", s, s[1], bn.Channels))
	}
	eps := float32(bn.Eps)
	if !bn.Training() {
		if clamp {
			return autograd.BatchNormEvalClamp(x, gamma, beta, bn.RunningMean, bn.RunningVar, eps, lo, hi)
		}
		return autograd.BatchNormEval(x, gamma, beta, bn.RunningMean, bn.RunningVar, eps)
	}
	m := x.Value.Len() / bn.Channels
	if m < 2 {
		panic(fmt.Sprintf("nn: BatchNorm2d: expected more than 1 value per channel when training, got input %v", s))
	}
	var y *autograd.Var
	var st tensor.BatchNormStats
	if clamp {
		y, st = autograd.BatchNormTrainClamp(x, gamma, beta, eps, lo, hi)
	} else {
		y, st = autograd.BatchNormTrain(x, gamma, beta, eps)
	}
	mom := bn.Momentum
	unbias := float64(m) / float64(m-1)
	rm, rv := bn.RunningMean.Data(), bn.RunningVar.Data()
	for c, mean := range st.Mean.Data() {
		rm[c] = float32(mom*float64(mean) + (1-mom)*float64(rm[c]))
		rv[c] = float32(mom*float64(st.Var.Data()[c])*unbias + (1-mom)*float64(rv[c]))
	}
	bn.NumBatchesTracked.Data()[0]++
	return y
}

// Describe returns "BatchNorm2d" and PyTorch's description, such as
// "32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True".
func (bn *BatchNorm2d) Describe() (name, extra string) {
	return "BatchNorm2d", fmt.Sprintf("%d, eps=%s, momentum=%s, affine=True, track_running_stats=True",
		bn.Channels, pyFloat(bn.Eps), pyFloat(bn.Momentum))
}

// String returns the layer as PyTorch prints it, such as
// "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)".
func (bn *BatchNorm2d) String() string { return leafString(bn) }
