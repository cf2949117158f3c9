package autograd

import "github.com/autonl-go/autonl/tensor"

// Reshape returns v with the given shape, sharing v's data: see
// tensor.Tensor.Reshape, which also allows one dimension of -1.
//
// Backward: ∂v = g reshaped to shape(v), also without copying.
func Reshape(v *Var, shape ...int) *Var {
	return record("Reshape", v.Value.Reshape(shape...), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(g.Reshape(v.Value.Shape()...))
	})
}

// Permute returns a copy of v with its axes reordered: axis i of the result
// is axis axes[i] of v (see tensor.Permute).
//
// Backward: ∂v = g permuted by the inverse permutation.
func Permute(v *Var, axes ...int) *Var {
	y := tensor.Permute(v.Value, axes...)
	return record("Permute", y, []*Var{v}, func(g *tensor.Tensor) {
		inv := make([]int, len(axes))
		for i, a := range axes {
			if a < 0 {
				a += len(axes)
			}
			inv[a] = i
		}
		v.accumulate(tensor.Permute(g, inv...))
	})
}

// Transpose returns a copy of v with axes a and b swapped.
//
// Backward: ∂v = g with axes a and b swapped.
func Transpose(v *Var, a, b int) *Var {
	return record("Transpose", tensor.Transpose(v.Value, a, b), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.Transpose(g, a, b))
	})
}

// Slice returns a copy of v[..., start:stop:step, ...] along axis, with
// Python's semantics for 0 ≤ start, stop ≤ shape(v)[axis] and step ≥ 1
// (see tensor.Slice).
//
// Backward: ∂v = g at the sliced positions and 0 elsewhere
// (tensor.SliceGrad).
func Slice(v *Var, axis, start, stop, step int) *Var {
	y := tensor.Slice(v.Value, axis, start, stop, step)
	return record("Slice", y, []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.SliceGrad(g, v.Value.Shape(), axis, start, stop, step))
	})
}

// Concat returns the concatenation of vs along axis; they must have the
// same shape except along axis (see tensor.Concat).
//
// Backward: each input receives its slice of g along axis.
func Concat(axis int, vs ...*Var) *Var {
	ts := make([]*tensor.Tensor, len(vs))
	for i, v := range vs {
		ts[i] = v.Value
	}
	y := tensor.Concat(axis, ts...)
	return record("Concat", y, vs, func(g *tensor.Tensor) {
		ax := axis
		if ax < 0 {
			ax += g.NDim()
		}
		off := 0
		for _, v := range vs {
			n := v.Value.Dim(ax)
			if v.requiresGrad {
				v.accumulate(tensor.Slice(g, ax, off, off+n, 1))
			}
			off += n
		}
	})
}
