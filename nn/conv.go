package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// ConvConfig configures NewConv2d. The zero value is PyTorch's default
// except for the bias: stride 1, no padding, dilation 1, one group, no
// bias.
type ConvConfig struct {
	// Stride, Padding and Dilation apply to both spatial axes. Zero Stride
	// and Dilation mean 1.
	Stride, Padding, Dilation int
	// Groups splits the channels into independent convolutions; zero means
	// 1, and Groups equal to the input channels is a depthwise convolution.
	// It must divide both the input and the output channels.
	Groups int
	// Bias adds a learnt bias per output channel.
	Bias bool
	// StrideHW and PaddingHW, if nonzero, override Stride and Padding with
	// separate [H, W] values.
	StrideHW, PaddingHW [2]int
}

// Conv2d is a 2-D convolution layer, PyTorch's torch.nn.Conv2d with a
// square kernel. For x of shape N×In×H×W it computes y of shape
// N×Out×Ho×Wo,
//
//	y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q]·x[n, g·In/G + c, i·s − pad + p·d, j·s − pad + q·d]
//
// where g = o/(Out/G) is the group of output channel o and c runs over the
// In/G input channels of that group, with
// Ho = ⌊(H + 2·pad − d·(k−1) − 1)/s⌋ + 1 and Wo likewise.
//
// Its parameters are "weight" (Out × In/Groups × k × k) and, with a bias,
// "bias" (Out).
type Conv2d struct {
	Base
	frozenState[tensor.FrozenConvWeight] // what Freeze keeps
	// Weight is the kernel, Out × In/Groups × Kernel × Kernel.
	Weight *autograd.Var
	// Bias is the per-channel bias of shape [Out], or nil.
	Bias *autograd.Var
	// In and Out are the numbers of input and output channels, Kernel the
	// kernel size.
	In, Out, Kernel int
	// Params holds the stride, padding, dilation and groups passed to
	// autograd.Conv2D.
	Params tensor.Conv2DConfig
}

// NewConv2d returns a convolution from in to out channels with a
// kernel×kernel kernel, initialized as PyTorch does: weight and bias from
// U(−1/√fanIn, 1/√fanIn) with fanIn = in/groups·kernel², which is
// kaiming_uniform_ with a = √5. It panics if a size is not positive, an
// option is negative or the groups do not divide in and out.
func NewConv2d(rng *rand.Rand, in, out, kernel int, opt ConvConfig) *Conv2d {
	if in < 1 || out < 1 || kernel < 1 {
		panic(fmt.Sprintf("nn: NewConv2d: in %d, out %d and kernel %d must be positive", in, out, kernel))
	}
	if opt.Stride < 0 || opt.Padding < 0 || opt.Dilation < 0 || opt.Groups < 0 ||
		opt.StrideHW[0] < 0 || opt.StrideHW[1] < 0 || opt.PaddingHW[0] < 0 || opt.PaddingHW[1] < 0 {
		panic(fmt.Sprintf("nn: NewConv2d: negative option in %+v", opt))
	}
	groups := max(opt.Groups, 1)
	if in%groups != 0 || out%groups != 0 {
		panic(fmt.Sprintf("nn: NewConv2d: groups %d must divide in channels %d and out channels %d", groups, in, out))
	}
	s, d := max(opt.Stride, 1), max(opt.Dilation, 1)
	p := tensor.Conv2DConfig{
		Stride:   [2]int{s, s},
		Padding:  [2]int{opt.Padding, opt.Padding},
		Dilation: [2]int{d, d},
		Groups:   groups,
	}
	if opt.StrideHW != [2]int{} {
		p.Stride = [2]int{max(opt.StrideHW[0], 1), max(opt.StrideHW[1], 1)}
	}
	if opt.PaddingHW != [2]int{} {
		p.Padding = opt.PaddingHW
	}
	c := &Conv2d{In: in, Out: out, Kernel: kernel, Params: p}
	w := tensor.New(out, in/groups, kernel, kernel)
	var b *tensor.Tensor
	if opt.Bias {
		b = tensor.New(out)
	}
	defaultInit(rng, w, b)
	c.Weight = c.RegisterParam("weight", autograd.Param(w))
	if opt.Bias {
		c.Bias = c.RegisterParam("bias", autograd.Param(b))
	}
	return c
}

// Forward convolves x (N×In×H×W). It panics if x is not 4-D, has the wrong
// number of channels or is too small for the kernel.
func (c *Conv2d) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(c, x, y) }()
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("nn: Conv2d: input %v is not 4-D N×C×H×W", s))
	}
	if s[1] != c.In {
		panic(fmt.Sprintf("nn: Conv2d: input %v has %d channels, want %d", s, s[1], c.In))
	}
	if w := c.frozenWeight(); w != nil {
		return autograd.Conv2DFrozen(x, w, c.Params, nil)
	}
	return autograd.Conv2D(x, c.Weight, c.Bias, c.Params)
}

// Describe returns "Conv2d" and PyTorch's description, such as
// "3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False":
// padding, dilation and groups appear only when they differ from the
// defaults, bias only when there is none.
func (c *Conv2d) Describe() (name, extra string) {
	p := c.Params
	or1 := func(v [2]int) [2]int { return [2]int{max(v[0], 1), max(v[1], 1)} }
	parts := []string{
		fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", c.In, c.Out, pair([2]int{c.Kernel, c.Kernel}), pair(or1(p.Stride))),
	}
	if p.Padding != [2]int{} {
		parts = append(parts, "padding="+pair(p.Padding))
	}
	if d := or1(p.Dilation); d != [2]int{1, 1} {
		parts = append(parts, "dilation="+pair(d))
	}
	if p.Groups > 1 {
		parts = append(parts, fmt.Sprintf("groups=%d", p.Groups))
	}
	if c.Bias == nil {
		parts = append(parts, "bias=False")
	}
	return "Conv2d", strings.Join(parts, ", ")
}

// String returns the layer as PyTorch prints it, such as
// "Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)".
func (c *Conv2d) String() string { return leafString(c) }
