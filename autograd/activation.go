package autograd

import "github.com/autonl-go/autonl/tensor"

// Tanh returns y = tanh x element-wise.
//
// Backward: ∂x = g·(1 − y²).
func Tanh(x *Var) *Var { return pointwiseOut("Tanh", x, tensor.Tanh, tensor.TanhGrad) }

// Sigmoid returns y = σ(x) = 1 / (1 + e⁻ˣ) element-wise.
//
// Backward: ∂x = g·y·(1 − y).
func Sigmoid(x *Var) *Var { return pointwiseOut("Sigmoid", x, tensor.Sigmoid, tensor.SigmoidGrad) }

// ReLU returns max(x, 0) element-wise.
//
// Backward: ∂x = g where x > 0 and 0 elsewhere, including at 0.
func ReLU(x *Var) *Var { return pointwise("ReLU", x, tensor.ReLU, tensor.ReLUGrad) }

// ReLU6 returns min(max(x, 0), 6) element-wise.
//
// Backward: ∂x = g where 0 < x < 6 and 0 elsewhere.
func ReLU6(x *Var) *Var { return pointwise("ReLU6", x, tensor.ReLU6, tensor.ReLU6Grad) }

// Swish returns x·σ(x) element-wise (also called SiLU).
//
// Backward: ∂x = g·σ(x)·(1 + x·(1 − σ(x))).
func Swish(x *Var) *Var { return pointwise("Swish", x, tensor.Swish, tensor.SwishGrad) }

// HardSwish returns x·relu6(x + 3)/6 element-wise.
//
// Backward: ∂x = 0 for x < −3, g·(x/3 + 1/2) for −3 ≤ x ≤ 3 and g for
// x > 3, as in PyTorch.
func HardSwish(x *Var) *Var { return pointwise("HardSwish", x, tensor.HardSwish, tensor.HardSwishGrad) }

// HardSigmoid returns relu6(x + 3)/6 element-wise.
//
// Backward: ∂x = g/6 where −3 < x < 3 and 0 elsewhere.
func HardSigmoid(x *Var) *Var {
	return pointwise("HardSigmoid", x, tensor.HardSigmoid, tensor.HardSigmoidGrad)
}

// Clamp returns min(max(x, lo), hi) element-wise. It panics if lo > hi.
//
// Backward: ∂x = g where lo ≤ x ≤ hi and 0 elsewhere.
func Clamp(x *Var, lo, hi float32) *Var {
	return record("Clamp", tensor.Clamp(x.Value, lo, hi), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.ClampGrad(x.Value, g, lo, hi))
	})
}

// Indicator returns the hard gate d = 1[x > 0] element-wise (1 where x is
// positive, 0 elsewhere) with a straight-through gradient: the backward
// rule is that of σ(x), the sigmoid the step function approximates, as in
// the threshold gates of Single-Path NAS (Stamoulis et al., 2019).
//
// Backward: ∂x = g·σ(x)·(1 − σ(x)). This is not the derivative of the
// forward function (which is 0 almost everywhere), so CheckGrad does not
// apply; the rule is tested against this formula.
func Indicator(x *Var) *Var {
	d := tensor.New(x.Value.Shape()...)
	dd := d.Data()
	for i, v := range x.Value.Data() {
		if v > 0 {
			dd[i] = 1
		}
	}
	return record("Indicator", d, []*Var{x}, func(g *tensor.Tensor) {
		s := tensor.Sigmoid(x.Value)
		x.accumulate(tensor.SigmoidGrad(s, g))
		tensor.Release(s)
	})
}

// pointwise records y = f(x) for an element-wise f whose derivative is
// computed from the input: ∂x = grad(x, g).
func pointwise(op string, x *Var, f func(x *tensor.Tensor) *tensor.Tensor, grad func(x, g *tensor.Tensor) *tensor.Tensor) *Var {
	return record(op, f(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(grad(x.Value, g))
	})
}

// pointwiseOut records y = f(x) for an element-wise f whose derivative is
// computed from the output: ∂x = grad(y, g).
func pointwiseOut(op string, x *Var, f func(x *tensor.Tensor) *tensor.Tensor, grad func(y, g *tensor.Tensor) *tensor.Tensor) *Var {
	y := f(x.Value)
	return record(op, y, []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(grad(y, g))
	})
}
