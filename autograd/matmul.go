package autograd

import "github.com/autonl-go/autonl/tensor"

// MatMul returns the batched matrix product op(a)·op(b) of tensor.MatMul,
// where op transposes the last two axes of an operand whose flag is set.
//
// Backward, with g = ∂out, computed by MatMul itself without explicit
// transposes and summed over broadcast batch dimensions with SumTo:
//
//	∂op(a) = g·op(b)ᵀ,  ∂op(b) = op(a)ᵀ·g,
//
// that is ∂a = g·op(b)ᵀ, or op(b)·gᵀ if transA; ∂b = op(a)ᵀ·g, or gᵀ·op(a)
// if transB.
func MatMul(a, b *Var, transA, transB bool) *Var {
	return record("MatMul", tensor.MatMul(a.Value, b.Value, transA, transB), []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			var da *tensor.Tensor
			if transA {
				da = tensor.MatMul(b.Value, g, transB, true)
			} else {
				da = tensor.MatMul(g, b.Value, false, !transB)
			}
			a.accumulate(tensor.SumTo(da, a.Value.Shape()))
		}
		if b.requiresGrad {
			var db *tensor.Tensor
			if transB {
				db = tensor.MatMul(g, a.Value, true, transA)
			} else {
				db = tensor.MatMul(a.Value, g, !transA, false)
			}
			b.accumulate(tensor.SumTo(db, b.Value.Shape()))
		}
	})
}
