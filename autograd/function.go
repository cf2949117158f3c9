package autograd

import (
	"fmt"

	"github.com/autonl-go/autonl/tensor"
)

// Function records an operation that this package does not provide, with a
// forward result and backward rule given by the caller: the role of
// torch.autograd.Function. value is the operation's result, which the
// caller has computed from the values of inputs; backward receives
// g = ∂out/∂value (value's shape) and returns one gradient per input, in
// the order of inputs, each with its input's shape, or nil for an input
// that gets none (backward may skip inputs for which RequiresGrad is
// false).
//
// Every returned tensor must be g itself or a fresh tensor that the rule
// does not keep or return twice: the graph takes it over, and may return
// its storage to the tensor buffer pool once added into an input's
// gradient. backward must not modify g.
//
// Like the package's own operations, Function records nothing under NoGrad
// or when no input requires a gradient. It panics if backward returns a
// number of gradients other than len(inputs), and Backward panics if a
// gradient's shape differs from its input's.
//
// A rule written with Function needs its own CheckGrad test, as every rule
// of this package has.
func Function(op string, value *tensor.Tensor, inputs []*Var, backward func(g *tensor.Tensor) []*tensor.Tensor) *Var {
	ins := append([]*Var(nil), inputs...)
	return record(op, value, ins, func(g *tensor.Tensor) {
		grads := backward(g)
		if len(grads) != len(ins) {
			panic(fmt.Sprintf("autograd: Function %s: backward returned %d gradients for %d inputs", op, len(grads), len(ins)))
		}
		for i, gi := range grads {
			if gi != nil {
				ins[i].accumulate(gi)
			}
		}
	})
}
