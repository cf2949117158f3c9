package autograd

import (
	"math"

	"github.com/autonl-go/autonl/tensor"
)

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

// Sub returns a − b with NumPy broadcasting.
//
// Backward: ∂a = SumTo(g, shape(a)), ∂b = −SumTo(g, shape(b)).
func Sub(a, b *Var) *Var {
	return record("Sub", tensor.Sub(a.Value, b.Value), []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(tensor.SumTo(g, a.Value.Shape()))
		}
		if b.requiresGrad {
			b.accumulate(sumTo(tensor.Neg(g), b.Value.Shape()))
		}
	})
}

// Mul returns the element-wise product a·b with NumPy broadcasting.
//
// Backward: ∂a = SumTo(g·b, shape(a)), ∂b = SumTo(g·a, shape(b)).
func Mul(a, b *Var) *Var {
	return record("Mul", tensor.Mul(a.Value, b.Value), []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(sumTo(tensor.Mul(g, b.Value), a.Value.Shape()))
		}
		if b.requiresGrad {
			b.accumulate(sumTo(tensor.Mul(g, a.Value), b.Value.Shape()))
		}
	})
}

// Div returns the element-wise quotient y = a / b with NumPy broadcasting.
//
// Backward: ∂a = SumTo(g / b, shape(a)), ∂b = −SumTo(g·y / b, shape(b)).
func Div(a, b *Var) *Var {
	y := tensor.Div(a.Value, b.Value)
	return record("Div", y, []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(sumTo(tensor.Div(g, b.Value), a.Value.Shape()))
		}
		if b.requiresGrad {
			gy := tensor.Mul(g, y)
			q := tensor.Div(gy, b.Value)
			tensor.Release(gy)
			b.accumulate(scale(sumTo(q, b.Value.Shape()), -1))
		}
	})
}

// Pow returns y = a^b element-wise with NumPy broadcasting.
//
// Backward: ∂a = SumTo(g·b·a^(b−1), shape(a)) and, for a > 0,
// ∂b = SumTo(g·y·ln a, shape(b)). Where a = 0 the term ln a is taken as 0,
// the limit for b > 0, as PyTorch does; where a < 0 it is NaN.
func Pow(a, b *Var) *Var {
	y := tensor.Pow(a.Value, b.Value)
	return record("Pow", y, []*Var{a, b}, func(g *tensor.Tensor) {
		if a.requiresGrad {
			bm1 := tensor.AddScalar(b.Value, -1)
			p := tensor.Pow(a.Value, bm1)
			pb := tensor.Mul(p, b.Value)
			ga := tensor.Mul(g, pb)
			release(bm1, p, pb)
			a.accumulate(sumTo(ga, a.Value.Shape()))
		}
		if b.requiresGrad {
			la := tensor.Log(a.Value)
			for i, v := range a.Value.Data() {
				if v == 0 {
					la.Data()[i] = 0
				}
			}
			gy := tensor.Mul(g, y)
			gb := tensor.Mul(gy, la)
			release(la, gy)
			b.accumulate(sumTo(gb, b.Value.Shape()))
		}
	})
}

// Minimum returns min(a, b) element-wise with NumPy broadcasting.
//
// Backward: g goes to the smaller operand of each pair and is split
// evenly, g/2 each, where a = b, as in PyTorch; then SumTo each operand's
// shape.
func Minimum(a, b *Var) *Var {
	return pick("Minimum", a, b, tensor.Minimum(a.Value, b.Value))
}

// Maximum returns max(a, b) element-wise with NumPy broadcasting.
//
// Backward: g goes to the larger operand of each pair and is split
// evenly, g/2 each, where a = b, as in PyTorch; then SumTo each operand's
// shape.
func Maximum(a, b *Var) *Var {
	return pick("Maximum", a, b, tensor.Maximum(a.Value, b.Value))
}

// pick records an element-wise choice y between a and b: a receives the
// share w = [a = y] / ([a = y] + [b = y]) of g and b the rest.
func pick(op string, a, b *Var, y *tensor.Tensor) *Var {
	return record(op, y, []*Var{a, b}, func(g *tensor.Tensor) {
		shape := y.Shape()
		av, bv := expand(a.Value, shape), expand(b.Value, shape)
		w := tensor.New(shape...)
		wd, ad, bd := w.Data(), av.Data(), bv.Data()
		for i, v := range y.Data() {
			switch {
			case ad[i] == v && bd[i] == v:
				wd[i] = 0.5
			case ad[i] == v:
				wd[i] = 1
			}
		}
		ga := tensor.Mul(g, w)
		release(w)
		if av != a.Value {
			tensor.Release(av)
		}
		if bv != b.Value {
			tensor.Release(bv)
		}
		if b.requiresGrad {
			b.accumulate(sumTo(tensor.Sub(g, ga), b.Value.Shape()))
		}
		if a.requiresGrad {
			a.accumulate(sumTo(ga, a.Value.Shape()))
		} else {
			tensor.Release(ga)
		}
	})
}

// AddScalar returns v + s element-wise.
//
// Backward: ∂v = g.
func AddScalar(v *Var, s float32) *Var {
	return record("AddScalar", tensor.AddScalar(v.Value, s), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(g)
	})
}

// MulScalar returns s·v element-wise.
//
// Backward: ∂v = s·g.
func MulScalar(v *Var, s float32) *Var {
	return record("MulScalar", tensor.MulScalar(v.Value, s), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.MulScalar(g, s))
	})
}

// PowScalar returns v^p element-wise.
//
// Backward: ∂v = g·p·v^(p−1), and 0 for p = 0.
func PowScalar(v *Var, p float32) *Var {
	return record("PowScalar", tensor.PowScalar(v.Value, p), []*Var{v}, func(g *tensor.Tensor) {
		if p == 0 {
			v.accumulate(tensor.New(v.Value.Shape()...))
			return
		}
		d := tensor.PowScalar(v.Value, p-1)
		dx := tensor.Mul(g, d)
		tensor.Release(d)
		v.accumulate(scale(dx, p))
	})
}

// Neg returns −v element-wise.
//
// Backward: ∂v = −g.
func Neg(v *Var) *Var {
	return record("Neg", tensor.Neg(v.Value), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.Neg(g))
	})
}

// Exp returns y = eᵛ element-wise.
//
// Backward: ∂v = g·y.
func Exp(v *Var) *Var {
	y := tensor.Exp(v.Value)
	return record("Exp", y, []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.Mul(g, y))
	})
}

// Log returns the natural logarithm ln v element-wise.
//
// Backward: ∂v = g / v.
func Log(v *Var) *Var {
	return record("Log", tensor.Log(v.Value), []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(tensor.Div(g, v.Value))
	})
}

// Sqrt returns y = √v element-wise.
//
// Backward: ∂v = g / (2y).
func Sqrt(v *Var) *Var {
	y := tensor.Sqrt(v.Value)
	return record("Sqrt", y, []*Var{v}, func(g *tensor.Tensor) {
		v.accumulate(scale(tensor.Div(g, y), 0.5))
	})
}

// Abs returns |v| element-wise.
//
// Backward: ∂v = g·sign(v), with sign(0) = 0 as in PyTorch; a NaN in v
// gives NaN.
func Abs(v *Var) *Var {
	return record("Abs", tensor.Abs(v.Value), []*Var{v}, func(g *tensor.Tensor) {
		dx := tensor.New(v.Value.Shape()...)
		d, gd := dx.Data(), g.Data()
		for i, x := range v.Value.Data() {
			switch {
			case x > 0:
				d[i] = gd[i]
			case x < 0:
				d[i] = -gd[i]
			case math.IsNaN(float64(x)):
				d[i] = x
			}
		}
		v.accumulate(dx)
	})
}

// sumTo returns tensor.SumTo(t, shape) for a tensor t that the calling
// backward rule allocated itself, releasing t if SumTo summed it into a new
// tensor.
func sumTo(t *tensor.Tensor, shape []int) *tensor.Tensor {
	s := tensor.SumTo(t, shape)
	if s != t {
		tensor.Release(t)
	}
	return s
}

// scale multiplies the elements of t, which the caller owns, by s in place
// and returns t.
func scale(t *tensor.Tensor, s float32) *tensor.Tensor {
	d := t.Data()
	for i := range d {
		d[i] *= s
	}
	return t
}

// expand returns t broadcast to shape, or t itself if it has that shape.
func expand(t *tensor.Tensor, shape []int) *tensor.Tensor {
	if tensor.SameShape(t.Shape(), shape) {
		return t
	}
	return tensor.BroadcastTo(t, shape)
}

// release returns temporaries of a backward rule to the buffer pool.
func release(ts ...*tensor.Tensor) {
	for _, t := range ts {
		tensor.Release(t)
	}
}
