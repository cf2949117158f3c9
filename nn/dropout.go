package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// Dropout zeroes elements at random during training, PyTorch's
// torch.nn.Dropout with inverted scaling: in training mode, with P the
// probability of dropping an element,
//
//	y = x·mask,  mask[i] = 1/(1 − P) with probability 1 − P, else 0,
//
// drawn independently per element from the layer's random source, so that
// E[y] = x and evaluation needs no rescaling. The mask is a constant
// multiplied in with autograd.Mul, so ∂x = g·mask. In evaluation mode, and
// when P is 0, y = x. P = 1 drops everything (y = 0), as in PyTorch.
type Dropout struct {
	Base
	// P is the probability of dropping an element, in [0, 1]. It may be
	// changed between forward passes.
	P float64
	// Rand is the random source of the masks.
	Rand *rand.Rand
}

// NewDropout returns dropout with probability p drawing its masks from
// rng, which may be nil only if p is 0. It panics if p is outside [0, 1].
func NewDropout(p float64, rng *rand.Rand) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn: NewDropout: probability %v out of range [0, 1]", p))
	}
	if rng == nil && p > 0 {
		panic(fmt.Sprintf("nn: NewDropout: nil random source for probability %v", p))
	}
	return &Dropout{P: p, Rand: rng}
}

// Forward returns x with a random mask applied in training mode and x
// itself in evaluation mode or when P is 0. It panics if P is outside
// [0, 1], or if it must draw a mask without a random source.
func (d *Dropout) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(d, x, y) }()
	if !(d.P >= 0 && d.P <= 1) {
		panic(fmt.Sprintf("nn: Dropout: probability %v out of range [0, 1]", d.P))
	}
	if !d.Training() || d.P == 0 {
		return x
	}
	if d.Rand == nil {
		panic("nn: Dropout: no random source (Rand is nil) to draw a mask in training mode")
	}
	mask := tensor.New(x.Shape()...)
	if d.P < 1 {
		keep := float32(1 / (1 - d.P))
		m := mask.Data()
		for i := range m {
			if d.Rand.Float64() >= d.P {
				m[i] = keep
			}
		}
	}
	return autograd.Mul(x, autograd.Const(mask))
}

// Describe returns "Dropout" and PyTorch's description, such as
// "p=0.2, inplace=False".
func (d *Dropout) Describe() (name, extra string) {
	return "Dropout", "p=" + pyFloat(d.P) + ", inplace=False"
}

// String returns the layer as PyTorch prints it, such as
// "Dropout(p=0.2, inplace=False)".
func (d *Dropout) String() string { return leafString(d) }
