package autograd

import "github.com/autonl-go/autonl/tensor"

// Add returns a + b with NumPy broadcasting.
//
// Backward: ∂a = SumTo(g, shape(a)), ∂b = SumTo(g, shape(b)).
func Add(a, b *Var) *Var {
	return record("Add", tensor.Add(a.Value, b.Value), []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(tensor.SumTo(g, a.Value.Shape()))
		}
		if b.requiresGrad {
			b.accumulate(tensor.SumTo(g, b.Value.Shape()))
		}
	})
}
