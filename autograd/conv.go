package autograd

import (
	"fmt"

	"github.com/autonl-go/autonl/tensor"
)

// Conv2D returns the 2-D convolution tensor.Conv2D(x, w, p) of x
// (N×C×H×W) with w (Cout×(C/groups)×kh×kw), plus the bias b broadcast over
// N, H and W if b is not nil:
//
//	y[n,o,i,j] = Σ_{c,p,q} x[n, g·C/G+c, i·sh − ph + p·dh, j·sw − pw + q·dw]·w[o,c,p,q] + b[o].
//
// The bias is fused: it is added to the convolution's fresh output in
// place. Backward, with g = ∂y:
//
//	∂x = tensor.Conv2DGradInput(g, w, shape(x), p),
//	∂w = tensor.Conv2DGradWeight(x, g, shape(w), p),
//	∂b[o] = Σ_{n,i,j} g[n,o,i,j].
//
// It panics as tensor.Conv2D does, and if b does not have shape [Cout].
func Conv2D(x, w, b *Var, p tensor.Conv2DConfig) *Var {
	y := tensor.Conv2D(x.Value, w.Value, p)
	inputs := []*Var{x, w}
	if b != nil {
		cout := w.Value.Dim(0)
		if !tensor.SameShape(b.Value.Shape(), []int{cout}) {
			panic(fmt.Sprintf("autograd: Conv2D: bias b %v does not match the %d output channels of w %v, want [%d]",
				b.Value.Shape(), cout, w.Value.Shape(), cout))
		}
		addChannelBias(y.Data(), b.Value.Data(), y.Dim(1), y.Dim(2)*y.Dim(3))
		inputs = append(inputs, b)
	}
	return record("Conv2D", y, inputs, func(g *tensor.Tensor) {
		if x.requiresGrad {
			x.accumulate(tensor.Conv2DGradInput(g, w.Value, x.Value.Shape(), p))
		}
		if w.requiresGrad {
			w.accumulate(tensor.Conv2DGradWeight(x.Value, g, w.Value.Shape(), p))
		}
		if b != nil && b.requiresGrad {
			db := tensor.New(g.Dim(1))
			convBiasGrad(db.Data(), g.Data(), g.Dim(1), g.Dim(2)*g.Dim(3))
			b.accumulate(db)
		}
	})
}

// addChannelBias adds b[c] to every element of channel c of y, an N×C×S
// array.
func addChannelBias(y, b []float32, c, s int) {
	if c*s == 0 {
		return
	}
	for off := 0; off+c*s <= len(y); off += c * s {
		for ch, bv := range b[:c] {
			plane := y[off+ch*s : off+(ch+1)*s]
			for k := range plane {
				plane[k] += bv
			}
		}
	}
}

// convBiasGrad sets db[c] to the sum of channel c of g, an N×C×S array,
// accumulated in float64 in a fixed order.
func convBiasGrad(db, g []float32, c, s int) {
	if c*s == 0 {
		clear(db)
		return
	}
	for ch := range db[:c] {
		var sum float64
		for off := ch * s; off < len(g); off += c * s {
			for _, v := range g[off : off+s] {
				sum += float64(v)
			}
		}
		db[ch] = float32(sum)
	}
}

// Conv2DFused returns tensor.Conv2DFused(x, w, p, ep), a convolution with
// an epilogue (batch norm in evaluation mode and an activation) for
// inference. It has no backward rule: it panics if gradients are enabled
// and x or w requires one, and otherwise records a result like any other
// operation under NoGrad.
func Conv2DFused(x, w *Var, p tensor.Conv2DConfig, ep *tensor.ConvEpilogue) *Var {
	if GradEnabled() && (x.requiresGrad || w.requiresGrad) {
		panic("autograd: Conv2DFused: inference only, but gradients are enabled and an input requires one")
	}
	return record("Conv2DFused", tensor.Conv2DFused(x.Value, w.Value, p, ep), []*Var{x, w}, nil)
}

// Conv2DFrozen returns tensor.Conv2DFrozen(x, w, p, ep), a convolution
// with frozen filters (and an epilogue if ep is not nil) for inference. It
// has no backward rule: it panics if gradients are enabled and x requires
// one, and otherwise records a result like any other operation under
// NoGrad.
func Conv2DFrozen(x *Var, w *tensor.FrozenConvWeight, p tensor.Conv2DConfig, ep *tensor.ConvEpilogue) *Var {
	if GradEnabled() && x.requiresGrad {
		panic("autograd: Conv2DFrozen: inference only, but gradients are enabled and x requires one")
	}
	return record("Conv2DFrozen", tensor.Conv2DFrozen(x.Value, w, p, ep), []*Var{x}, nil)
}

// MatMulFrozen returns tensor.MatMulFrozen(x, w), x·Wᵀ with a frozen
// weight (a linear layer's) for inference. It has no backward rule: it
// panics if gradients are enabled and x requires one, and otherwise
// records a result like any other operation under NoGrad.
func MatMulFrozen(x *Var, w *tensor.FrozenMatMulWeight) *Var {
	if GradEnabled() && x.requiresGrad {
		panic("autograd: MatMulFrozen: inference only, but gradients are enabled and x requires one")
	}
	return record("MatMulFrozen", tensor.MatMulFrozen(x.Value, w), []*Var{x}, nil)
}
