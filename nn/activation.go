package nn

import "github.com/autonl-go/autonl/autograd"

// The activation layers apply an autograd function element-wise and have
// no parameters. Their zero values are ready to use (&nn.ReLU{}), and they
// print as the equivalent PyTorch module, such as "ReLU6()" or "SiLU()"
// for Swish.

// ReLU is max(x, 0), PyTorch's torch.nn.ReLU.
type ReLU struct{ Base }

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU { return &ReLU{} }

// Forward returns max(x, 0).
func (m *ReLU) Forward(x *autograd.Var) *autograd.Var { return Traced(m, x, autograd.ReLU(x)) }

// Describe returns "ReLU" and "".
func (*ReLU) Describe() (name, extra string) { return "ReLU", "" }

// String returns "ReLU()".
func (r *ReLU) String() string { return leafString(r) }

// ReLU6 is min(max(x, 0), 6), PyTorch's torch.nn.ReLU6.
type ReLU6 struct{ Base }

// NewReLU6 returns a ReLU6 layer.
func NewReLU6() *ReLU6 { return &ReLU6{} }

// Forward returns min(max(x, 0), 6).
func (m *ReLU6) Forward(x *autograd.Var) *autograd.Var { return Traced(m, x, autograd.ReLU6(x)) }

// Describe returns "ReLU6" and "".
func (*ReLU6) Describe() (name, extra string) { return "ReLU6", "" }

// String returns "ReLU6()".
func (r *ReLU6) String() string { return leafString(r) }

// Swish is x·σ(x), also called SiLU: PyTorch's torch.nn.SiLU, under whose
// name it prints.
type Swish struct{ Base }

// NewSwish returns a Swish layer.
func NewSwish() *Swish { return &Swish{} }

// Forward returns x·σ(x).
func (m *Swish) Forward(x *autograd.Var) *autograd.Var { return Traced(m, x, autograd.Swish(x)) }

// Describe returns "SiLU" and "", PyTorch's name of the function.
func (*Swish) Describe() (name, extra string) { return "SiLU", "" }

// String returns "SiLU()".
func (s *Swish) String() string { return leafString(s) }

// HardSwish is x·min(max(x + 3, 0), 6)/6, PyTorch's torch.nn.Hardswish.
type HardSwish struct{ Base }

// NewHardSwish returns a HardSwish layer.
func NewHardSwish() *HardSwish { return &HardSwish{} }

// Forward returns x·min(max(x + 3, 0), 6)/6.
func (m *HardSwish) Forward(x *autograd.Var) *autograd.Var {
	return Traced(m, x, autograd.HardSwish(x))
}

// Describe returns "Hardswish" and "".
func (*HardSwish) Describe() (name, extra string) { return "Hardswish", "" }

// String returns "Hardswish()".
func (h *HardSwish) String() string { return leafString(h) }

// Sigmoid is σ(x) = 1/(1 + e⁻ˣ), PyTorch's torch.nn.Sigmoid.
type Sigmoid struct{ Base }

// NewSigmoid returns a Sigmoid layer.
func NewSigmoid() *Sigmoid { return &Sigmoid{} }

// Forward returns σ(x).
func (m *Sigmoid) Forward(x *autograd.Var) *autograd.Var { return Traced(m, x, autograd.Sigmoid(x)) }

// Describe returns "Sigmoid" and "".
func (*Sigmoid) Describe() (name, extra string) { return "Sigmoid", "" }

// String returns "Sigmoid()".
func (s *Sigmoid) String() string { return leafString(s) }

// HardSigmoid is min(max(x + 3, 0), 6)/6, PyTorch's torch.nn.Hardsigmoid.
type HardSigmoid struct{ Base }

// NewHardSigmoid returns a HardSigmoid layer.
func NewHardSigmoid() *HardSigmoid { return &HardSigmoid{} }

// Forward returns min(max(x + 3, 0), 6)/6.
func (m *HardSigmoid) Forward(x *autograd.Var) *autograd.Var {
	return Traced(m, x, autograd.HardSigmoid(x))
}

// Describe returns "Hardsigmoid" and "".
func (*HardSigmoid) Describe() (name, extra string) { return "Hardsigmoid", "" }

// String returns "Hardsigmoid()".
func (h *HardSigmoid) String() string { return leafString(h) }

// Identity returns its input unchanged, PyTorch's torch.nn.Identity: a
// placeholder where a structure wants a module.
type Identity struct{ Base }

// Forward returns x.
func (*Identity) Forward(x *autograd.Var) *autograd.Var { return x }

// Describe returns "Identity" and "".
func (*Identity) Describe() (name, extra string) { return "Identity", "" }

// String returns "Identity()".
func (i *Identity) String() string { return leafString(i) }
