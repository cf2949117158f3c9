package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// SqueezeExcite is a squeeze-and-excitation block (Hu et al. 2018), with
// the structure and names of torchvision's
// torchvision.ops.SqueezeExcitation, under whose name it prints. For x of
// shape N×C×H×W it rescales each channel by a gate computed from the
// channel means:
//
//	s = gate(fc2(act(fc1(avgpool(x)))))   (N×C×1×1)
//	y = x·s                               (broadcast over H and W)
//
// where fc1 is a 1×1 convolution with bias from C to the reduced width R
// and fc2 one from R back to C. Its submodules, in torchvision's order,
// are "avgpool", "fc1", "fc2", "activation" and "scale_activation", so the
// parameters are "fc1.weight", "fc1.bias", "fc2.weight" and "fc2.bias".
type SqueezeExcite struct {
	Base
	// AvgPool squeezes each channel to its mean.
	AvgPool *GlobalAvgPool2d
	// FC1 reduces C channels to R, FC2 expands R back to C.
	FC1, FC2 *Conv2d
	// Act follows FC1; Gate (the scale activation) follows FC2.
	Act, Gate Module
}

// NewSqueezeExcite returns a squeeze-and-excitation block on channels
// channels reduced to reduced, with activation act after fc1 (nil means
// ReLU) and gate after fc2 (nil means Sigmoid), the convolutions
// initialized as NewConv2d does. It panics if a width is not positive.
func NewSqueezeExcite(rng *rand.Rand, channels, reduced int, act, gate Module) *SqueezeExcite {
	if channels < 1 || reduced < 1 {
		panic(fmt.Sprintf("nn: NewSqueezeExcite: channels %d and reduced %d must be positive", channels, reduced))
	}
	if act == nil {
		act = &ReLU{}
	}
	if gate == nil {
		gate = &Sigmoid{}
	}
	se := &SqueezeExcite{
		AvgPool: &GlobalAvgPool2d{},
		FC1:     NewConv2d(rng, channels, reduced, 1, ConvConfig{Bias: true}),
		FC2:     NewConv2d(rng, reduced, channels, 1, ConvConfig{Bias: true}),
		Act:     act,
		Gate:    gate,
	}
	se.AddChild("avgpool", se.AvgPool)
	se.AddChild("fc1", se.FC1)
	se.AddChild("fc2", se.FC2)
	se.AddChild("activation", se.Act)
	se.AddChild("scale_activation", se.Gate)
	return se
}

// Forward returns x·gate(fc2(act(fc1(avgpool(x))))). It panics if x is not
// N×C×H×W with the block's C channels.
//
// Under NoGrad with no tracer active (inference), a Sigmoid gate is
// computed in float32 (tensor.SigmoidFloat32), within float32 rounding of
// Sigmoid's results, and the gate's input goes back to the tensor buffer
// pool.
func (se *SqueezeExcite) Forward(x *autograd.Var) *autograd.Var {
	se.check(x)
	return se.forward(x, se.AvgPool.Forward(x), false)
}

// ForwardMeans is Forward with avgpool(x) given as means, N×C×1×1 (from
// FusedConvBNMeans, which forms it while computing x): the same results,
// bit for bit, as Forward(x) when means is GlobalAvgPool2D of x. It panics
// as Forward does, and if means is not N×C×1×1.
func (se *SqueezeExcite) ForwardMeans(x, means *autograd.Var) *autograd.Var {
	se.checkMeans(x, means)
	return se.forward(x, means, false)
}

// ForwardMeansInto is ForwardMeans that, in inference (under NoGrad, no
// tracer active, a Sigmoid gate), multiplies x's planes by the gate in
// place (tensor.MulPlanesInto) and returns x: the same values bit for
// bit, without a buffer of their own or a pass that reads x and writes
// another tensor. The caller must own x, a result it discards once the
// unit has run (an MBConv layer's depthwise output), and must not use its
// former values. Elsewhere it is ForwardMeans.
func (se *SqueezeExcite) ForwardMeansInto(x, means *autograd.Var) *autograd.Var {
	se.checkMeans(x, means)
	return se.forward(x, means, true)
}

// checkMeans panics unless x is N×C×H×W with the block's C channels and
// means is N×C×1×1.
func (se *SqueezeExcite) checkMeans(x, means *autograd.Var) {
	se.check(x)
	if s := x.Shape(); !tensor.SameShape(means.Shape(), []int{s[0], s[1], 1, 1}) {
		panic(fmt.Sprintf("nn: SqueezeExcite: means %v for input %v, want N×C×1×1", means.Shape(), s))
	}
}

// check panics unless x is N×C×H×W with the block's C channels.
func (se *SqueezeExcite) check(x *autograd.Var) {
	if s := x.Shape(); len(s) != 4 || s[1] != se.FC1.In {
		panic(fmt.Sprintf("nn: SqueezeExcite: input %v is not N×%d×H×W", s, se.FC1.In))
	}
}

// forward returns x·gate(fc2(act(fc1(m)))), m being avgpool(x), in x's
// storage if inPlace and the gate is computed for inference.
func (se *SqueezeExcite) forward(x, m *autograd.Var, inPlace bool) *autograd.Var {
	z := se.FC2.Forward(se.Act.Forward(se.FC1.Forward(m)))
	var scale *autograd.Var
	if _, sigmoid := se.Gate.(*Sigmoid); sigmoid && !autograd.GradEnabled() && !Tracing() {
		s := tensor.SigmoidFloat32(z.Value)
		autograd.Discard(z, x)
		if inPlace {
			tensor.MulPlanesInto(x.Value, s)
			tensor.Release(s)
			return x
		}
		scale = autograd.Const(s)
	} else {
		scale = se.Gate.Forward(z)
	}
	return autograd.Mul(scale, x)
}

// Describe returns "SqueezeExcitation", torchvision's name, and "".
func (*SqueezeExcite) Describe() (name, extra string) { return "SqueezeExcitation", "" }

// String returns Format(se).
func (se *SqueezeExcite) String() string { return Format(se) }
