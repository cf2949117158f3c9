package nn

import (
	"fmt"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// Module is a layer or a network of layers. Implementations embed Base,
// which registers their parameters, buffers and submodules:
//
//	type Block struct {
//		nn.Base
//		Conv *nn.Conv2d
//		BN   *nn.BatchNorm2d
//	}
//
//	func NewBlock(rng *rand.Rand, in, out int) *Block {
//		b := &Block{Conv: nn.NewConv2d(rng, in, out, 3, nn.ConvConfig{Padding: 1})}
//		b.AddChild("conv", b.Conv)
//		...
//	}
type Module interface {
	// Forward computes the module's output for a batch x.
	Forward(x *autograd.Var) *autograd.Var
	// Registry returns the module's registry, the embedded Base, which
	// provides this method. (It cannot be called Base: the embedded
	// field's name, Base, would hide a promoted method of that name, and
	// types embedding Base would not implement Module.)
	Registry() *Base
}

// Param is a named parameter: a trainable Var.
type Param struct {
	Name string
	Var  *autograd.Var
}

// Buffer is a named tensor that is part of a module's state but not
// trained by gradients, such as batch norm's running mean.
type Buffer struct {
	Name   string
	Tensor *tensor.Tensor
}

// Child is a named submodule.
type Child struct {
	Name   string
	Module Module
}

// Base records what a module owns, in registration order: its own
// parameters, buffers and submodules, and whether it is in training or
// evaluation mode. The zero value is an empty module in training mode, as
// in PyTorch. Names must be unique within one module and must not contain
// dots; the dotted names of nested modules are formed by NamedParams and
// NamedBuffers.
type Base struct {
	params   []Param
	buffers  []Buffer
	children []Child
	eval     bool
}

// Registry returns b, so that every type embedding Base implements the
// Registry method of Module.
func (b *Base) Registry() *Base { return b }

// RegisterParam records v as the parameter name and returns v.
// It panics if name is taken or invalid.
func (b *Base) RegisterParam(name string, v *autograd.Var) *autograd.Var {
	b.checkName("RegisterParam", name)
	b.params = append(b.params, Param{name, v})
	return v
}

// RegisterBuffer records t as the buffer name and returns t.
// It panics if name is taken or invalid.
func (b *Base) RegisterBuffer(name string, t *tensor.Tensor) *tensor.Tensor {
	b.checkName("RegisterBuffer", name)
	b.buffers = append(b.buffers, Buffer{name, t})
	return t
}

// AddChild records m as the submodule name. It panics if name is taken or
// invalid.
func (b *Base) AddChild(name string, m Module) {
	b.checkName("AddChild", name)
	b.children = append(b.children, Child{name, m})
}

// Params returns the module's own parameters, not those of submodules.
func (b *Base) Params() []Param { return b.params }

// Buffers returns the module's own buffers, not those of submodules.
func (b *Base) Buffers() []Buffer { return b.buffers }

// Children returns the module's direct submodules.
func (b *Base) Children() []Child { return b.children }

// Training reports whether the module is in training mode.
func (b *Base) Training() bool { return !b.eval }

func (b *Base) checkName(op, name string) {
	if name == "" || strings.Contains(name, ".") {
		panic(fmt.Sprintf("nn: %s: invalid name %q: names must be non-empty and contain no dots", op, name))
	}
	for _, p := range b.params {
		if p.Name == name {
			panic(fmt.Sprintf("nn: %s: name %q is already a parameter", op, name))
		}
	}
	for _, p := range b.buffers {
		if p.Name == name {
			panic(fmt.Sprintf("nn: %s: name %q is already a buffer", op, name))
		}
	}
	for _, c := range b.children {
		if c.Name == name {
			panic(fmt.Sprintf("nn: %s: name %q is already a submodule", op, name))
		}
	}
}

// SetTraining puts m and every module below it in training mode (on) or
// evaluation mode (off). Batch norm uses batch statistics and updates its
// running statistics only in training mode; dropout drops only in training
// mode. Training mode also drops what Freeze kept (Unfreeze).
func SetTraining(m Module, on bool) {
	Walk(m, func(_ string, m Module) { m.Registry().eval = !on })
	if on {
		Unfreeze(m)
	}
}

// EvalMode puts m and every module below it in evaluation mode and returns
// a function that restores each module's previous mode, for evaluating a
// model in the middle of training:
//
//	restore := nn.EvalMode(model)
//	defer restore()
func EvalMode(m Module) (restore func()) {
	var eval []bool
	Walk(m, func(_ string, m Module) {
		eval = append(eval, m.Registry().eval)
		m.Registry().eval = true
	})
	return func() {
		i := 0
		Walk(m, func(_ string, m Module) {
			m.Registry().eval = eval[i]
			i++
		})
	}
}

// Walk calls f for m and every module below it, parents before children,
// in registration order, with the dotted path of each ("" for m).
func Walk(m Module, f func(path string, m Module)) {
	walk("", m, f)
}

func walk(path string, m Module, f func(string, Module)) {
	f(path, m)
	for _, c := range m.Registry().children {
		walk(join(path, c.Name), c.Module, f)
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// NamedParams returns every parameter of m and its submodules with its
// dotted name, in PyTorch's order (a module's own parameters, then its
// children's, depth first), so that the names equal those of
// torch.nn.Module.named_parameters for the same structure, such as
// "features.3.conv.1.weight".
func NamedParams(m Module) []Param {
	var ps []Param
	Walk(m, func(path string, m Module) {
		for _, p := range m.Registry().params {
			ps = append(ps, Param{join(path, p.Name), p.Var})
		}
	})
	return ps
}

// NamedBuffers returns every buffer of m and its submodules with its
// dotted name, in the order of NamedParams.
func NamedBuffers(m Module) []Buffer {
	var bs []Buffer
	Walk(m, func(path string, m Module) {
		for _, b := range m.Registry().buffers {
			bs = append(bs, Buffer{join(path, b.Name), b.Tensor})
		}
	})
	return bs
}

// NumParams returns the number of trainable scalars in m.
func NumParams(m Module) int {
	n := 0
	for _, p := range NamedParams(m) {
		n += p.Var.Value.Len()
	}
	return n
}
