package nn

import (
	"fmt"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// AvgPool2d is average pooling over square windows, PyTorch's
// torch.nn.AvgPool2d with count_include_pad=True and ceil_mode=False: for
// x of shape N×C×H×W,
//
//	y[n,c,i,j] = (1/k²) Σ_{p,q<k} x[n, c, i·s − pad + p, j·s − pad + q],
//
// padding counted as zeros, of shape N×C×Ho×Wo with
// Ho = ⌊(H + 2·pad − k)/s⌋ + 1 and Wo likewise. The zero value is not
// usable: set Kernel.
type AvgPool2d struct {
	Base
	// Kernel is the window size k; Stride s (zero means Kernel) and
	// Padding pad, at most k/2.
	Kernel, Stride, Padding int
}

// Forward pools x (N×C×H×W). It panics if x is not 4-D or the window does
// not fit.
func (a *AvgPool2d) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(a, x, y) }()
	if s := x.Shape(); len(s) != 4 {
		panic(fmt.Sprintf("nn: AvgPool2d: input %v is not 4-D N×C×H×W", s))
	}
	if a.Kernel < 1 || a.Stride < 0 || a.Padding < 0 {
		panic(fmt.Sprintf("nn: AvgPool2d: kernel %d must be positive, stride %d and padding %d not negative", a.Kernel, a.Stride, a.Padding))
	}
	return autograd.AvgPool2D(x, tensor.Pool2DConfig{
		Kernel:  [2]int{a.Kernel, a.Kernel},
		Stride:  [2]int{a.stride(), a.stride()},
		Padding: [2]int{a.Padding, a.Padding},
	})
}

func (a *AvgPool2d) stride() int {
	if a.Stride == 0 {
		return a.Kernel
	}
	return a.Stride
}

// Describe returns "AvgPool2d" and PyTorch's description, such as
// "kernel_size=2, stride=2, padding=0".
func (a *AvgPool2d) Describe() (name, extra string) {
	return "AvgPool2d", fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d", a.Kernel, a.stride(), a.Padding)
}

// String returns the layer as PyTorch prints it, such as
// "AvgPool2d(kernel_size=2, stride=2, padding=0)".
func (a *AvgPool2d) String() string { return leafString(a) }

// GlobalAvgPool2d averages every H×W plane of x (N×C×H×W) into an N×C×1×1
// output, y[n,c] = (1/HW) Σ_{h,w} x[n,c,h,w]: PyTorch's
// torch.nn.AdaptiveAvgPool2d(1), under whose name it prints.
type GlobalAvgPool2d struct{ Base }

// Forward pools x (N×C×H×W) to N×C×1×1. It panics if x is not 4-D.
func (g *GlobalAvgPool2d) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(g, x, y) }()
	if s := x.Shape(); len(s) != 4 {
		panic(fmt.Sprintf("nn: GlobalAvgPool2d: input %v is not 4-D N×C×H×W", s))
	}
	return autograd.GlobalAvgPool2D(x)
}

// Describe returns "AdaptiveAvgPool2d" and "output_size=1".
func (*GlobalAvgPool2d) Describe() (name, extra string) { return "AdaptiveAvgPool2d", "output_size=1" }

// String returns "AdaptiveAvgPool2d(output_size=1)".
func (g *GlobalAvgPool2d) String() string { return leafString(g) }

// Flatten reshapes x of shape N×d₁×d₂×… to N×(d₁·d₂·…), sharing its data:
// PyTorch's torch.nn.Flatten() with start_dim=1, end_dim=−1.
type Flatten struct{ Base }

// Forward flattens all axes of x but the first. It panics if x has fewer
// than 2 dimensions.
func (f *Flatten) Forward(x *autograd.Var) (y *autograd.Var) {
	defer func() { Traced(f, x, y) }()
	s := x.Shape()
	if len(s) < 2 {
		panic(fmt.Sprintf("nn: Flatten: input %v has fewer than 2 dimensions", s))
	}
	return autograd.Reshape(x, s[0], tensor.NumElements(s[1:]))
}

// Describe returns "Flatten" and "start_dim=1, end_dim=-1".
func (*Flatten) Describe() (name, extra string) { return "Flatten", "start_dim=1, end_dim=-1" }

// String returns "Flatten(start_dim=1, end_dim=-1)".
func (f *Flatten) String() string { return leafString(f) }
