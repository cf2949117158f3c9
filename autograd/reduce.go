package autograd

import "github.com/autonl-go/autonl/tensor"

// The reductions below reduce v over axes, all of them if none are given;
// negative axes count from the end. With keepDims the reduced axes stay with
// size 1, otherwise they are removed. See the tensor functions of the same
// names. In the backward rules, g is first reshaped to keep the reduced axes
// with size 1 and then broadcast back to shape(v).

// Sum returns the sum of v's elements over axes.
//
// Backward: ∂v = g broadcast to shape(v).
func Sum(v *Var, keepDims bool, axes ...int) *Var {
	return record("Sum", tensor.Sum(v.Value, keepDims, axes...), []*Var{v}, func(g *tensor.Tensor) {
		keep, _ := keptShape(v.Value.Shape(), axes)
		v.accumulate(tensor.BroadcastTo(g.Reshape(keep...), v.Value.Shape()))
	})
}

// Mean returns the mean of v's elements over axes.
//
// Backward: ∂v = g/n broadcast to shape(v), where n is the number of
// elements reduced into each result.
func Mean(v *Var, keepDims bool, axes ...int) *Var {
	return record("Mean", tensor.Mean(v.Value, keepDims, axes...), []*Var{v}, func(g *tensor.Tensor) {
		keep, n := keptShape(v.Value.Shape(), axes)
		gn := tensor.MulScalar(g, 1/float32(n))
		v.accumulate(tensor.BroadcastTo(gn.Reshape(keep...), v.Value.Shape()))
		tensor.Release(gn)
	})
}

// Max returns the largest of v's elements over axes. It panics if a
// reduced axis has size 0.
//
// Backward: g goes to the elements equal to their maximum, split evenly
// among ties, as torch.amax does.
func Max(v *Var, keepDims bool, axes ...int) *Var {
	y := tensor.Max(v.Value, keepDims, axes...)
	return record("Max", y, []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(extremumGrad(v.Value, y, g, axes))
	})
}

// Min returns the smallest of v's elements over axes. It panics if a
// reduced axis has size 0.
//
// Backward: g goes to the elements equal to their minimum, split evenly
// among ties, as torch.amin does.
func Min(v *Var, keepDims bool, axes ...int) *Var {
	y := tensor.Min(v.Value, keepDims, axes...)
	return record("Min", y, []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(extremumGrad(v.Value, y, g, axes))
	})
}

// extremumGrad returns the gradient of the maximum or minimum y of x over
// axes: mask·g/count, where mask marks the elements of x equal to their
// result and count is the number of them in each group.
func extremumGrad(x, y, g *tensor.Tensor, axes []int) *tensor.Tensor {
	keep, _ := keptShape(x.Shape(), axes)
	mask := tensor.BroadcastTo(y.Reshape(keep...), x.Shape())
	md := mask.Data()
	for i, v := range x.Data() {
		if v == md[i] {
			md[i] = 1
		} else {
			md[i] = 0
		}
	}
	count := tensor.Sum(mask, true, axes...)
	share := tensor.Div(g.Reshape(keep...), count)
	dx := tensor.Mul(mask, share)
	release(mask, count, share)
	return dx
}

// Variance returns the variance of v's elements over axes, divided by n − 1
// if unbiased and by n otherwise, n being the number of elements reduced
// into each result.
//
// Backward: ∂v = g·2(v − mean)/(n − δ), with δ = 1 if unbiased and 0
// otherwise.
func Variance(v *Var, unbiased, keepDims bool, axes ...int) *Var {
	return record("Variance", tensor.Variance(v.Value, unbiased, keepDims, axes...), []*Var{v}, func(g *tensor.Tensor) {
		keep, n := keptShape(v.Value.Shape(), axes)
		if unbiased {
			n--
		}
		mean := tensor.Mean(v.Value, true, axes...)
		d := tensor.Sub(v.Value, mean)
		gk := tensor.MulScalar(g.Reshape(keep...), 2/float32(n))
		dx := tensor.Mul(d, gk)
		release(mean, d, gk)
		v.accumulate(dx)
	})
}

// keptShape returns shape with the reduced axes (all if axes is empty) set
// to 1, and the number of elements reduced into each result. The axes have
// been validated by the forward computation.
func keptShape(shape, axes []int) (keep []int, n int) {
	keep = append([]int{}, shape...)
	n = 1
	if len(axes) == 0 {
		for i, d := range shape {
			keep[i] = 1
			n *= d
		}
		return keep, n
	}
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		keep[a] = 1
		n *= shape[a]
	}
	return keep, n
}

// Softmax returns y, the softmax of x along axis: exp(x − m) / Σ exp(x − m)
// for every line of x along the axis, with m the line's maximum.
//
// Backward: ∂x = y ⊙ (g − Σ g·y) along the axis.
func Softmax(x *Var, axis int) *Var {
	y := tensor.Softmax(x.Value, axis)
	return record("Softmax", y, []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.SoftmaxGrad(y, g, axis))
	})
}

// LogSoftmax returns y, the logarithm of the softmax of x along axis,
// x − m − ln Σ exp(x − m) for every line along the axis, computed stably.
//
// Backward: ∂x = g − exp(y) ⊙ Σ g along the axis.
func LogSoftmax(x *Var, axis int) *Var {
	y := tensor.LogSoftmax(x.Value, axis)
	return record("LogSoftmax", y, []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.LogSoftmaxGrad(y, g, axis))
	})
}
