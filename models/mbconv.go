package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
)

// LightNLFactory builds the LightNL block that follows the projection of an
// MBConv layer: a module mapping N×channels×H×W to the same shape, with
// channel ratio ratio and key stride stride (see package lightnl). A
// LightNL block adds its own residual, z = x + BN(DW3×3(y)), and is
// expected to be the identity when freshly initialized.
type LightNLFactory func(channels int, ratio float64, stride int) nn.Module

// ConvBNAct is a convolution without bias followed by batch normalization
// and an optional activation: torchvision's Conv2dNormActivation, under
// whose name it prints. It is a Sequential with children "0" (Conv2d),
// "1" (BatchNorm2d) and, if there is an activation, "2", so its
// parameters are "0.weight", "1.weight", "1.bias" as in torchvision.
type ConvBNAct struct {
	nn.Sequential
	// Conv, BN and Act are the children; Act is nil if there is none.
	Conv *nn.Conv2d
	BN   *nn.BatchNorm2d
	Act  nn.Module
}

// NewConvBNAct returns a k×k convolution from in to out channels with the
// given strides (rows, columns), groups and padding k/2 (torchvision's
// (k−1)/2 for odd k), no bias, followed by BN with options bn and by act
// if act is not nil. It panics on sizes NewConv2d rejects.
func NewConvBNAct(rng *rand.Rand, in, out, kernel int, strides [2]int, groups int, bn nn.BatchNormConfig, act nn.Module) *ConvBNAct {
	c := &ConvBNAct{
		Conv: nn.NewConv2d(rng, in, out, kernel, nn.ConvConfig{
			StrideHW: strides, Padding: kernel / 2, Groups: groups,
		}),
		BN:  nn.NewBatchNorm2d(out, bn),
		Act: act,
	}
	c.Append(c.Conv)
	c.Append(c.BN)
	if act != nil {
		c.Append(act)
	}
	return c
}

// Forward returns Act(BN(Conv(x))). A ReLU or ReLU6 activation is fused
// into the batch norm (nn.BatchNorm2d.ForwardClamp), which then writes the
// activation's output in the same pass; the activation is traced with that
// output as its input and output. Under NoGrad (inference) the
// convolution's output, an intermediate, goes back to the tensor buffer
// pool once normalized (autograd.Discard). A
// ConvBNAct whose modules were changed or appended to runs them in order
// as a Sequential.
//
// In evaluation mode under NoGrad, with no tracer active, the batch norm
// and a ReLU, ReLU6 or Swish (or no activation) run in the convolution's
// epilogue instead (see nn.FusedConvBN): one pass over the output, with the
// same results bit for bit (within float32 rounding with Swish).
func (c *ConvBNAct) Forward(x *autograd.Var) *autograd.Var {
	if z := c.forwardFused(x); z != nil {
		return z
	}
	lo, hi, ok := clampBounds(c.Act)
	if !ok || c.Len() != 3 || c.At(0) != nn.Module(c.Conv) || c.At(1) != nn.Module(c.BN) || c.At(2) != c.Act {
		return c.Sequential.Forward(x)
	}
	y := c.Conv.Forward(x)
	z := c.BN.ForwardClamp(y, lo, hi)
	autograd.Discard(y, x, z)
	return nn.Traced(c.Act, z, z)
}

// forwardFused returns c's output computed by nn.FusedConvBN, with the
// activation (none, ReLU, ReLU6 or Swish) in the epilogue too, or nil if
// it cannot be (see nn.FusedConvBN) or c's modules were changed.
func (c *ConvBNAct) forwardFused(x *autograd.Var) *autograd.Var {
	y, _ := c.fused(x, false)
	return y
}

// fused returns forwardFused(x) and, if means, the mean of each output
// plane (nn.FusedConvBNMeans; a depthwise convolution only), or nil, nil.
func (c *ConvBNAct) fused(x *autograd.Var, means bool) (y, m *autograd.Var) {
	n := 3
	if c.Act == nil {
		n = 2
	}
	if c.Len() != n || c.At(0) != nn.Module(c.Conv) || c.At(1) != nn.Module(c.BN) || (n == 3 && c.At(2) != c.Act) {
		return nil, nil
	}
	lo, hi, ok := clampBounds(c.Act)
	_, swish := c.Act.(*nn.Swish)
	if c.Act == nil || swish {
		lo, hi, ok = float32(math.Inf(-1)), float32(math.Inf(1)), true
	}
	if !ok {
		return nil, nil
	}
	if means {
		return nn.FusedConvBNMeans(c.Conv, c.BN, x, lo, hi, swish)
	}
	return nn.FusedConvBN(c.Conv, c.BN, x, lo, hi, swish), nil
}

// clampBounds returns the bounds of act as a clamp, if it is one: [0, +Inf)
// for ReLU and [0, 6] for ReLU6.
func clampBounds(act nn.Module) (lo, hi float32, ok bool) {
	switch act.(type) {
	case *nn.ReLU:
		return 0, float32(math.Inf(1)), true
	case *nn.ReLU6:
		return 0, 6, true
	}
	return 0, 0, false
}

// Describe returns "Conv2dNormActivation", torchvision's name, and "".
func (*ConvBNAct) Describe() (name, extra string) { return "Conv2dNormActivation", "" }

// String returns nn.Format(c).
func (c *ConvBNAct) String() string { return nn.Format(c) }

// MBConvConfig configures NewMBConv.
type MBConvConfig struct {
	// Activation follows the expansion and the depthwise convolutions and
	// the squeeze-excite unit's reducing convolution; DefaultActivation
	// means ReLU.
	Activation Activation
	// SEGate is the squeeze-excite gate; DefaultActivation means Sigmoid.
	SEGate Activation
	// BN configures every batch normalization of the layer (not those
	// inside a LightNL block, which its factory configures).
	BN nn.BatchNormConfig
	// LightNL builds the LightNL block of a layer that has one; nil means
	// lightnl's block (see [DefaultLightNL]).
	LightNL LightNLFactory
}

// MBConv is one inverted-residual (MBConv) layer, with the structure and
// names of torchvision's InvertedResidual, under whose name it prints, and
// the squeeze-excite and LightNL parts of MnasNet and AutoNL. Its only
// child is the Sequential "conv", holding in order
//
//	expansion      ConvBNAct 1×1, In → hidden              (only if Expand ≠ 1)
//	depthwise      ConvBNAct k×k, hidden channels, stride s, padding k/2
//	squeeze-excite nn.SqueezeExcite on hidden, reduced to
//	               BlockSpec.SEWidth (fc1, fc2)             (only with SE)
//	projection     Conv2d 1×1, hidden → Out, no bias
//	BN             BatchNorm2d(Out)
//	LightNL        the LightNL block on Out channels        (only with one)
//
// numbered from "0", so that the parameters of MobileNetV2's layers are
// torchvision's: "conv.0.0.weight" is the expansion conv (or, with
// Expand = 1, the depthwise conv), "conv.2.weight" the projection of an
// expanding layer. Forward returns x + conv(x) when the layer has an
// identity skip (BlockSpec.HasSkip) and conv(x) otherwise.
type MBConv struct {
	nn.Base
	// Conv is the child "conv" holding the parts below in order.
	Conv *nn.Sequential
	// Expand is the expansion ConvBNAct, or nil when Expand is 1.
	Expand *ConvBNAct
	// Depthwise is the depthwise ConvBNAct.
	Depthwise *ConvBNAct
	// SE is the squeeze-excite unit, or nil.
	SE *nn.SqueezeExcite
	// Project and ProjectBN are the projection conv and its BN.
	Project   *nn.Conv2d
	ProjectBN *nn.BatchNorm2d
	// NonLocal is the LightNL block, or nil.
	NonLocal nn.Module
	// Args describes the layer (Repeats 1).
	Args BlockSpec
	// Skip reports whether Forward adds the input.
	Skip bool
}

// NewMBConv returns the MBConv layer described by b, which must be valid
// (see [BlockSpec.Validate]) and describe one layer (Repeats 1; see
// [Unroll]). A LightNL block needs at least one query channel,
// ⌊r·Out⌋ ≥ 1. Errors are *[ArchError] values naming the block.
func NewMBConv(rng *rand.Rand, b BlockSpec, opt MBConvConfig) (*MBConv, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if b.Repeats != 1 {
		return nil, &ArchError{Text: b.String(), Token: fmt.Sprintf("r%d", b.Repeats), Kind: ErrOutOfRange,
			Msg: "an MBConv layer has one repeat; unroll the block with Expand"}
	}
	if err := checkNonLocalWidth(b); err != nil {
		return nil, err
	}
	if !opt.Activation.valid() && opt.Activation != DefaultActivation {
		return nil, fmt.Errorf("models: NewMBConv: invalid activation %v", opt.Activation)
	}
	if !opt.SEGate.valid() && opt.SEGate != DefaultActivation {
		return nil, fmt.Errorf("models: NewMBConv: invalid squeeze-excite gate %v", opt.SEGate)
	}
	if err := checkBN(opt.BN); err != nil {
		return nil, err
	}
	act := opt.Activation.or(ReLU)
	factory := opt.LightNL
	if factory == nil {
		factory = DefaultLightNL(rng, opt.BN)
	}

	m := &MBConv{Conv: nn.NewSequential(), Args: b, Skip: b.HasSkip()}
	hidden := b.HiddenWidth()
	if b.HasExpandConv() {
		m.Expand = NewConvBNAct(rng, b.In, hidden, 1, [2]int{1, 1}, 1, opt.BN, act.Module())
		m.Conv.Append(m.Expand)
	}
	m.Depthwise = NewConvBNAct(rng, hidden, hidden, b.Kernel, b.Strides, hidden, opt.BN, act.Module())
	m.Conv.Append(m.Depthwise)
	if b.HasSE() {
		m.SE = nn.NewSqueezeExcite(rng, hidden, b.SEWidth(), act.Module(), opt.SEGate.or(Sigmoid).Module())
		m.Conv.Append(m.SE)
	}
	m.Project = nn.NewConv2d(rng, hidden, b.Out, 1, nn.ConvConfig{})
	m.ProjectBN = nn.NewBatchNorm2d(b.Out, opt.BN)
	m.Conv.Append(m.Project)
	m.Conv.Append(m.ProjectBN)
	if b.HasNonLocal() {
		m.NonLocal = factory(b.Out, b.NonLocal.Ratio, b.NonLocal.Stride)
		if m.NonLocal == nil {
			return nil, fmt.Errorf("models: block %q: the LightNL factory returned nil", b.String())
		}
		m.Conv.Append(m.NonLocal)
	}
	m.AddChild("conv", m.Conv)
	return m, nil
}

// Forward returns conv(x), plus x if the layer has an identity skip
// (autograd.Add(x, conv(x))). Under NoGrad (inference) the intermediate
// results go back to the tensor buffer pool as soon as the next part has
// used them, and the skip's addition runs in the epilogue of the last
// convolution when it can (see forwardReleasing).
func (m *MBConv) Forward(x *autograd.Var) *autograd.Var {
	var skip *autograd.Var
	if m.Skip {
		skip = x
	}
	return nn.Traced(m, x, forwardReleasing(m.Conv, x, skip))
}

// residualAdder is a module that can add a tensor to its output while
// computing it: ForwardAdd(x, r) returns autograd.Add(r, Forward(x)), bit
// for bit (lightnl.Block does, in its depthwise convolution's epilogue).
type residualAdder interface {
	ForwardAdd(x, r *autograd.Var) *autograd.Var
}

// forwardReleasing returns seq.Forward(x), plus r if r is not nil
// (autograd.Add(r, seq.Forward(x))). Under NoGrad, where no graph keeps
// them, each intermediate result goes back to the tensor buffer pool once
// the next module has consumed it (autograd.Discard), so that inference
// reuses a few buffers instead of allocating every activation, and r is
// added by the last module while it computes its output when it can: in
// the epilogue of a final convolution and batch norm (nn.FusedConvBN) or
// by a final residualAdder. Results that share storage with the input or
// the next result are kept; a module or tracer that keeps a discarded
// value and uses it later gets a panic that says so, not another result's
// numbers.
func forwardReleasing(seq *nn.Sequential, x, r *autograd.Var) *autograd.Var {
	if autograd.GradEnabled() {
		y := seq.Forward(x)
		if r != nil {
			y = autograd.Add(r, y)
		}
		return y
	}
	return releasingChildren(seq.Children(), x, r)
}

// releasingChildren is forwardReleasing under NoGrad, for the modules
// children in order.
func releasingChildren(children []nn.Child, x, r *autograd.Var) *autograd.Var {
	y := x
	added := r == nil
	for i := 0; i < len(children); i++ {
		last := i == len(children)-1
		next := fusedPair(children, i, y, r)
		if next != nil {
			i++ // the batch norm (and r's addition) ran in the convolution's epilogue
			added = added || i == len(children)-1
		} else if next = fusedSE(children, i, y); next != nil {
			i++ // the squeeze-excite unit took its means from the convolution's epilogue
		} else if ra, ok := children[i].Module.(residualAdder); ok && last && !added && !nn.Tracing() {
			next = ra.ForwardAdd(y, r)
			added = true
		} else {
			next = children[i].Module.Forward(y)
		}
		if y != x {
			autograd.Discard(y, x, r, next)
		}
		y = next
	}
	if !added {
		s := autograd.Add(r, y)
		if y != x {
			autograd.Discard(y, x, r, s)
		}
		y = s
	}
	return y
}

// fusedPair returns the output of children i and i+1 on y computed in one
// pass (nn.FusedConvBN) when they are a convolution and its batch norm
// (MBConv's projection), plus r if they are the last children and r is
// not nil, and nil otherwise.
func fusedPair(children []nn.Child, i int, y, r *autograd.Var) *autograd.Var {
	if i+1 >= len(children) {
		return nil
	}
	conv, ok := children[i].Module.(*nn.Conv2d)
	bn, ok2 := children[i+1].Module.(*nn.BatchNorm2d)
	if !ok || !ok2 {
		return nil
	}
	var adds []*autograd.Var
	if r != nil && i+2 == len(children) {
		adds = append(adds, r)
	}
	return nn.FusedConvBN(conv, bn, y, float32(math.Inf(-1)), float32(math.Inf(1)), false, adds...)
}

// fusedSE returns the output of children i and i+1 on y when they are a
// depthwise ConvBNAct and a squeeze-excite unit, the unit's average
// pooling formed in the convolution's epilogue (nn.FusedConvBNMeans,
// nn.SqueezeExcite.ForwardMeans: the same results bit for bit), with the
// convolution's output back to the buffer pool once scaled; and nil
// otherwise. Not with a tracer active, which must see each layer.
func fusedSE(children []nn.Child, i int, y *autograd.Var) *autograd.Var {
	if i+1 >= len(children) || nn.Tracing() {
		return nil
	}
	c, ok := children[i].Module.(*ConvBNAct)
	se, ok2 := children[i+1].Module.(*nn.SqueezeExcite)
	if !ok || !ok2 {
		return nil
	}
	d, m := c.fused(y, true)
	if d == nil {
		return nil
	}
	z := se.ForwardMeansInto(d, m)
	autograd.Discard(d, y, z)
	return z
}

// Describe returns "InvertedResidual", torchvision's name, and "".
func (*MBConv) Describe() (name, extra string) { return "InvertedResidual", "" }

// String returns nn.Format(m).
func (m *MBConv) String() string { return nn.Format(m) }

// DefaultLightNL returns the factory of lightnl's LightNL block
// ([lightnl.New]), drawing its initial weights from rng and configuring its
// BN with bn: DW3×3 from N(0, 2/9) and BN γ = 0, so a fresh block is the
// identity.
func DefaultLightNL(rng *rand.Rand, bn nn.BatchNormConfig) LightNLFactory {
	return func(channels int, ratio float64, stride int) nn.Module {
		return lightnl.New(rng, channels, lightnl.Config{Ratio: ratio, Stride: stride, BN: bn})
	}
}

// checkNonLocalWidth rejects a LightNL block without query channels.
func checkNonLocalWidth(b BlockSpec) error {
	if b.HasNonLocal() && lightnl.ReducedChannels(b.Out, b.NonLocal.Ratio) < 1 {
		return &ArchError{
			Text: b.String(), Token: formatNonLocal(b.NonLocal), Kind: ErrOutOfRange,
			Msg: fmt.Sprintf("LightNL channel ratio %s leaves no query channel at width %d",
				formatNum(b.NonLocal.Ratio), b.Out),
		}
	}
	return nil
}

// checkBN reports BN options that nn.NewBatchNorm2d would reject.
func checkBN(bn nn.BatchNormConfig) error {
	if !(bn.Momentum >= 0 && bn.Momentum <= 1) {
		return fmt.Errorf("models: BN momentum %v out of range (0, 1] (0 means PyTorch's 0.1)", bn.Momentum)
	}
	if !(bn.Eps >= 0) {
		return fmt.Errorf("models: BN eps %v is negative (0 means PyTorch's 1e-5)", bn.Eps)
	}
	return nil
}
