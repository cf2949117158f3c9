package autograd

import "github.com/autonl-go/autonl/tensor"

// AvgPool2D returns the average pooling tensor.AvgPool2D(x, p) of x
// (N×C×H×W).
//
// Backward: ∂x = tensor.AvgPool2DGrad(g, shape(x), p), which spreads each
// g[n,c,i,j] divided by the window's divisor over window (i, j).
func AvgPool2D(x *Var, p tensor.Pool2DConfig) *Var {
	return record("AvgPool2D", tensor.AvgPool2D(x.Value, p), []*Var{x}, func(g *tensor.Tensor) {
		if x.requiresGrad {
			x.accumulate(tensor.AvgPool2DGrad(g, x.Value.Shape(), p))
		}
	})
}

// MaxPool2D returns the max pooling tensor.MaxPool2D(x, p) of x (N×C×H×W).
//
// Backward: ∂x = tensor.MaxPool2DGrad(g, argmax, shape(x)): each
// g[n,c,i,j] goes to the input element that was the window's maximum
// (the first one on ties), as recorded by the forward pass.
func MaxPool2D(x *Var, p tensor.Pool2DConfig) *Var {
	y, argmax := tensor.MaxPool2D(x.Value, p)
	return record("MaxPool2D", y, []*Var{x}, func(g *tensor.Tensor) {
		if x.requiresGrad {
			x.accumulate(tensor.MaxPool2DGrad(g, argmax, x.Value.Shape()))
		}
	})
}

// GlobalAvgPool2D returns the mean of every H×W plane of x (N×C×H×W) as an
// N×C×1×1 Var.
//
// Backward: ∂x[n,c,h,v] = g[n,c,0,0]/(H·W).
func GlobalAvgPool2D(x *Var) *Var {
	return record("GlobalAvgPool2D", tensor.GlobalAvgPool2D(x.Value), []*Var{x}, func(g *tensor.Tensor) {
		if x.requiresGrad {
			x.accumulate(tensor.GlobalAvgPool2DGrad(g, x.Value.Shape()))
		}
	})
}
