package autograd

import "github.com/autonl-go/autonl/tensor"

// Tanh returns y = tanh x element-wise.
//
// Backward: ∂x = g·(1 − y²).
func Tanh(x *Var) *Var {
	y := tensor.Tanh(x.Value)
	return record("Tanh", y, []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.TanhGrad(y, g))
	})
}

// Sigmoid returns y = σ(x) = 1 / (1 + e⁻ˣ) element-wise.
//
// Backward: ∂x = g·y·(1 − y).
func Sigmoid(x *Var) *Var {
	y := tensor.Sigmoid(x.Value)
	return record("Sigmoid", y, []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.SigmoidGrad(y, g))
	})
}

// ReLU returns max(x, 0) element-wise.
//
// Backward: ∂x = g where x > 0 and 0 elsewhere, including at 0.
func ReLU(x *Var) *Var {
	return record("ReLU", tensor.ReLU(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.ReLUGrad(x.Value, g))
	})
}

// ReLU6 returns min(max(x, 0), 6) element-wise.
//
// Backward: ∂x = g where 0 < x < 6 and 0 elsewhere.
func ReLU6(x *Var) *Var {
	return record("ReLU6", tensor.ReLU6(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.ReLU6Grad(x.Value, g))
	})
}

// Swish returns x·σ(x) element-wise (also called SiLU).
//
// Backward: ∂x = g·σ(x)·(1 + x·(1 − σ(x))).
func Swish(x *Var) *Var {
	return record("Swish", tensor.Swish(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.SwishGrad(x.Value, g))
	})
}

// HardSwish returns x·relu6(x + 3)/6 element-wise.
//
// Backward: ∂x = 0 for x < −3, g·(x/3 + 1/2) for −3 ≤ x ≤ 3 and g for
// x > 3, as in PyTorch.
func HardSwish(x *Var) *Var {
	return record("HardSwish", tensor.HardSwish(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.HardSwishGrad(x.Value, g))
	})
}

// HardSigmoid returns relu6(x + 3)/6 element-wise.
//
// Backward: ∂x = g/6 where −3 < x < 3 and 0 elsewhere.
func HardSigmoid(x *Var) *Var {
	return record("HardSigmoid", tensor.HardSigmoid(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		x.accumulate(tensor.HardSigmoidGrad(x.Value, g))
	})
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
