package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// Linear is a fully connected layer, PyTorch's torch.nn.Linear: for x of
// shape N×In (or …×In) it computes y of shape N×Out (or …×Out),
//
//	y = x·Wᵀ + b,  y[n,o] = Σ_i x[n,i]·W[o,i] + b[o].
//
// Its parameters are "weight" (Out×In) and, with a bias, "bias" (Out).
type Linear struct {
	Base
	frozenState[tensor.FrozenMatMulWeight] // what Freeze keeps
	// Weight is the Out×In matrix W.
	Weight *autograd.Var
	// Bias is b of shape [Out], or nil.
	Bias *autograd.Var
	// In and Out are the numbers of input and output features.
	In, Out int
}

// NewLinear returns a layer from in to out features, initialized as
// PyTorch does: weight and bias from U(−1/√in, 1/√in). It panics if in or
// out is not positive.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn: NewLinear: in %d and out %d must be positive", in, out))
	}
	l := &Linear{In: in, Out: out}
	w := tensor.New(out, in)
	var b *tensor.Tensor
	if bias {
		b = tensor.New(out)
	}
	defaultInit(rng, w, b)
	l.Weight = l.RegisterParam("weight", autograd.Param(w))
	if bias {
		l.Bias = l.RegisterParam("bias", autograd.Param(b))
	}
	return l
}

// Forward computes x·Wᵀ + b for x of shape N×In, or any shape ending in
// In, whose leading axes are flattened for the product and restored
// afterwards. It panics if the last axis of x is not In.
func (l *Linear) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(l, x, y) }()
	s := x.Shape()
	if len(s) < 1 || s[len(s)-1] != l.In {
		last := 0
		if len(s) > 0 {
			last = s[len(s)-1]
		}
		panic(fmt.Sprintf("nn: Linear: input %v has %d features, want %d", s, last, l.In))
	}
	in := x
	if len(s) != 2 {
		in = autograd.Reshape(x, -1, l.In)
	}
	if w := l.frozenWeight(); w != nil {
		y = autograd.MatMulFrozen(in, w)
	} else {
		y = autograd.MatMul(in, l.Weight, false, true)
	}
	if l.Bias != nil {
		y = autograd.Add(y, l.Bias)
	}
	if len(s) != 2 {
		out := append(append([]int{}, s[:len(s)-1]...), l.Out)
		y = autograd.Reshape(y, out...)
	}
	return y
}

// Describe returns "Linear" and PyTorch's description, such as
// "in_features=1280, out_features=1000, bias=True".
func (l *Linear) Describe() (name, extra string) {
	return "Linear", fmt.Sprintf("in_features=%d, out_features=%d, bias=%s", l.In, l.Out, pyBool(l.Bias != nil))
}

// String returns the layer as PyTorch prints it, such as
// "Linear(in_features=1280, out_features=1000, bias=True)".
func (l *Linear) String() string { return leafString(l) }
