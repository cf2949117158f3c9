package tensor

import (
	"fmt"
	"math"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// Pool2DConfig configures 2-D average and max pooling. Pairs are in [H, W]
// order. Output sizes are rounded down (PyTorch's ceil_mode=False):
//
//	Ho = ⌊(H + 2·ph − kh) / sh⌋ + 1,  Wo likewise.
type Pool2DConfig struct {
	// Kernel is the window size; both must be positive.
	Kernel [2]int
	// Stride is the step between windows; zero means Kernel.
	Stride [2]int
	// Padding is added on both sides, at most half the kernel. Max pooling
	// ignores it; average pooling counts it as zeros unless ExcludePad.
	Padding [2]int
	// ExcludePad makes average pooling divide by the number of window
	// elements inside the input instead of kh·kw. false is PyTorch's
	// count_include_pad=True.
	ExcludePad bool
}

// poolGeom is the validated geometry of a pooling: x is N×C×H×W, y is
// N×C×Ho×Wo.
type poolGeom struct {
	n, c, h, w int
	kh, kw     int
	sh, sw     int
	ph, pw     int
	ho, wo     int
	excludePad bool
}

func newPoolGeom(op string, xShape []int, p Pool2DConfig) *poolGeom {
	if len(xShape) != 4 {
		panic(fmt.Sprintf("tensor: %s: input x %v is not 4-D N×C×H×W", op, xShape))
	}
	if p.Kernel[0] < 1 || p.Kernel[1] < 1 {
		panic(fmt.Sprintf("tensor: %s: kernel %v must be positive", op, p.Kernel))
	}
	if p.Stride[0] < 0 || p.Stride[1] < 0 {
		panic(fmt.Sprintf("tensor: %s: negative stride %v", op, p.Stride))
	}
	if p.Padding[0] < 0 || p.Padding[1] < 0 || 2*p.Padding[0] > p.Kernel[0] || 2*p.Padding[1] > p.Kernel[1] {
		panic(fmt.Sprintf("tensor: %s: padding %v must be between 0 and half the kernel %v", op, p.Padding, p.Kernel))
	}
	g := &poolGeom{
		n: xShape[0], c: xShape[1], h: xShape[2], w: xShape[3],
		kh: p.Kernel[0], kw: p.Kernel[1],
		sh: p.Stride[0], sw: p.Stride[1],
		ph: p.Padding[0], pw: p.Padding[1],
		excludePad: p.ExcludePad,
	}
	if g.sh == 0 {
		g.sh = g.kh
	}
	if g.sw == 0 {
		g.sw = g.kw
	}
	if g.kh > g.h+2*g.ph || g.kw > g.w+2*g.pw {
		panic(fmt.Sprintf("tensor: %s: kernel %v is larger than the padded input %d×%d (x %v, padding %v): output size < 1",
			op, p.Kernel, g.h+2*g.ph, g.w+2*g.pw, xShape, p.Padding))
	}
	g.ho = (g.h+2*g.ph-g.kh)/g.sh + 1
	g.wo = (g.w+2*g.pw-g.kw)/g.sw + 1
	return g
}

func (g *poolGeom) outShape() []int { return []int{g.n, g.c, g.ho, g.wo} }

// window returns the window of output (i, j) clipped to the input, rows
// [h0, h1) and columns [v0, v1), and the divisor of average pooling.
func (g *poolGeom) window(i, j int) (h0, h1, v0, v1 int, div float32) {
	h0, v0 = i*g.sh-g.ph, j*g.sw-g.pw
	h1, v1 = min(h0+g.kh, g.h), min(v0+g.kw, g.w)
	h0, v0 = max(h0, 0), max(v0, 0)
	div = float32(g.kh * g.kw)
	if g.excludePad {
		div = float32((h1 - h0) * (v1 - v0))
	}
	return h0, h1, v0, v1, div
}

// poolGrain is the minimum number of input elements per range of the
// parallel loops over planes.
const poolGrain = 1 << 14

// planes runs fn for every (image, channel) plane in parallel.
func (g *poolGeom) planes(fn func(pl int)) {
	parallel.For(g.n*g.c, max(1, poolGrain/max(1, g.h*g.w)), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			fn(pl)
		}
	})
}

func (g *poolGeom) checkDy(op string, dy *Tensor, xShape []int) {
	if !SameShape(dy.shape, g.outShape()) {
		panic(fmt.Sprintf("tensor: %s: dy %v does not match the output shape %v for x %v",
			op, dy.shape, g.outShape(), xShape))
	}
}

// AvgPool2D returns the average pooling of x (N×C×H×W) under p:
//
//	y[n,c,i,j] = (1/d) Σ_{p<kh, q<kw} x[n, c, i·sh − ph + p, j·sw − pw + q]
//
// where x is zero in the padding and d is kh·kw, or with ExcludePad the
// number of window elements inside the input. The result is N×C×Ho×Wo.
//
// It panics if x is not 4-D, the kernel is not positive, a stride is
// negative, the padding exceeds half the kernel, or the kernel is larger
// than the padded input.
func AvgPool2D(x *Tensor, p Pool2DConfig) *Tensor {
	g := newPoolGeom("AvgPool2D", x.shape, p)
	y := newOut(g.outShape())
	hw, howo := g.h*g.w, g.ho*g.wo
	g.planes(func(pl int) {
		avgPoolPlane(g, x.data[pl*hw:(pl+1)*hw], y.data[pl*howo:(pl+1)*howo])
	})
	return y
}

func avgPoolPlane(g *poolGeom, x, y []float32) {
	for i := range g.ho {
		for j := range g.wo {
			h0, h1, v0, v1, div := g.window(i, j)
			var s float32
			for h := h0; h < h1; h++ {
				for _, v := range x[h*g.w+v0 : h*g.w+v1] {
					s += v
				}
			}
			y[i*g.wo+j] = s / div
		}
	}
}

// AvgPool2DGrad returns ∂L/∂x for y = AvgPool2D(x, p), given dy = ∂L/∂y
// (N×C×Ho×Wo) and the shape of x: every dy[n,c,i,j]/d is added to each
// input element of window (i, j). It panics like AvgPool2D and if dy does
// not have the output shape.
func AvgPool2DGrad(dy *Tensor, xShape []int, p Pool2DConfig) *Tensor {
	g := newPoolGeom("AvgPool2DGrad", xShape, p)
	g.checkDy("AvgPool2DGrad", dy, xShape)
	dx := newOut(xShape)
	hw, howo := g.h*g.w, g.ho*g.wo
	g.planes(func(pl int) {
		avgPoolGradPlane(g, dy.data[pl*howo:(pl+1)*howo], dx.data[pl*hw:(pl+1)*hw])
	})
	return dx
}

func avgPoolGradPlane(g *poolGeom, dy, dx []float32) {
	for i := range g.ho {
		for j := range g.wo {
			h0, h1, v0, v1, div := g.window(i, j)
			d := dy[i*g.wo+j] / div
			for h := h0; h < h1; h++ {
				row := dx[h*g.w+v0 : h*g.w+v1]
				for k := range row {
					row[k] += d
				}
			}
		}
	}
}

// MaxPool2D returns the max pooling of x (N×C×H×W) under p,
//
//	y[n,c,i,j] = max_{p<kh, q<kw} x[n, c, i·sh − ph + p, j·sw − pw + q]
//
// over the window elements inside the input (padding never wins), and for
// every output element the index h·W + v of its maximum within its input
// plane. The first maximum in row-major window order wins ties; a window
// holding NaN yields NaN, as in PyTorch, with the index of its first NaN.
// y is N×C×Ho×Wo and argmax has y.Len() elements. It panics like
// AvgPool2D.
func MaxPool2D(x *Tensor, p Pool2DConfig) (y *Tensor, argmax []int32) {
	g := newPoolGeom("MaxPool2D", x.shape, p)
	if g.h*g.w > math.MaxInt32 {
		panic(fmt.Sprintf("tensor: MaxPool2D: input plane %d×%d is too large for int32 indices", g.h, g.w))
	}
	y = newOut(g.outShape())
	argmax = make([]int32, y.Len())
	hw, howo := g.h*g.w, g.ho*g.wo
	g.planes(func(pl int) {
		maxPoolPlane(g, x.data[pl*hw:(pl+1)*hw], y.data[pl*howo:(pl+1)*howo], argmax[pl*howo:(pl+1)*howo])
	})
	return y, argmax
}

func maxPoolPlane(g *poolGeom, x, y []float32, arg []int32) {
	for i := range g.ho {
		for j := range g.wo {
			h0, h1, v0, v1, _ := g.window(i, j)
			best, at := float32(math.Inf(-1)), h0*g.w+v0
			for h := h0; h < h1; h++ {
				for v := v0; v < v1; v++ {
					// The first NaN wins and stays: nothing compares
					// greater than it, and best != best afterwards.
					if e := x[h*g.w+v]; e > best || (e != e && best == best) {
						best, at = e, h*g.w+v
					}
				}
			}
			y[i*g.wo+j], arg[i*g.wo+j] = best, int32(at)
		}
	}
}

// MaxPool2DGrad returns ∂L/∂x for y, argmax = MaxPool2D(x, p), given dy =
// ∂L/∂y (N×C×Ho×Wo), argmax and the shape of x: each dy[n,c,i,j] is added
// to x's element argmax[n,c,i,j] of plane (n, c). It panics if xShape is
// not 4-D, dy does not have xShape's batch and channels, argmax does not
// have one index per element of dy, or an index is outside the plane.
func MaxPool2DGrad(dy *Tensor, argmax []int32, xShape []int) *Tensor {
	if len(xShape) != 4 {
		panic(fmt.Sprintf("tensor: MaxPool2DGrad: input shape %v is not 4-D N×C×H×W", xShape))
	}
	if len(dy.shape) != 4 || dy.shape[0] != xShape[0] || dy.shape[1] != xShape[1] {
		panic(fmt.Sprintf("tensor: MaxPool2DGrad: dy %v must be 4-D with the batch and channels of x %v", dy.shape, xShape))
	}
	if len(argmax) != dy.Len() {
		panic(fmt.Sprintf("tensor: MaxPool2DGrad: %d argmax indices for dy %v of %d elements", len(argmax), dy.shape, dy.Len()))
	}
	hw, howo := xShape[2]*xShape[3], dy.shape[2]*dy.shape[3]
	for k, at := range argmax {
		if at < 0 || int(at) >= hw {
			panic(fmt.Sprintf("tensor: MaxPool2DGrad: argmax[%d] = %d is outside the input plane of %d elements (x %v)", k, at, hw, xShape))
		}
	}
	dx := newOut(xShape)
	parallel.For(xShape[0]*xShape[1], max(1, poolGrain/max(1, hw)), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp := dx.data[pl*hw : (pl+1)*hw]
			for k, at := range argmax[pl*howo : (pl+1)*howo] {
				dxp[at] += dy.data[pl*howo+k]
			}
		}
	})
	return dx
}

// GlobalAvgPool2D returns the mean of every H×W plane of x (N×C×H×W) as an
// N×C×1×1 tensor: y[n,c,0,0] = (1/(H·W)) Σ_{h,v} x[n,c,h,v], summed in
// float64 (in the order of planeMean). It panics if x is not 4-D.
func GlobalAvgPool2D(x *Tensor) *Tensor {
	if len(x.shape) != 4 {
		panic(fmt.Sprintf("tensor: GlobalAvgPool2D: input x %v is not 4-D N×C×H×W", x.shape))
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	y := newOut([]int{n, c, 1, 1})
	if hw == 0 {
		return y
	}
	parallel.For(n*c, max(1, poolGrain/hw), func(lo, hi int) {
		planeMeans(y.data[lo:hi], x.data[lo*hw:hi*hw], hw)
	})
	return y
}

// planeMeans sets y[i] to planeMean(x[i·hw:(i+1)·hw]) for each i.
func planeMeans(y, x []float32, hw int) {
	for i := range y {
		y[i] = planeMean(x[i*hw : (i+1)*hw])
	}
}

// planeMean returns the mean of x (at least one value), vec.Sum64(x)
// divided by len(x): float64 partial sums in an order fixed by len(x)
// alone, so that GlobalAvgPool2D and the means of a convolution's
// epilogue (ConvEpilogue.ThenMeans), which take one plane at a time, agree
// bit for bit, and whose additions overlap rather than wait for each other.
func planeMean(x []float32) float32 { return float32(vec.Sum64(x) / float64(len(x))) }

// GlobalAvgPool2DGrad returns ∂L/∂x for y = GlobalAvgPool2D(x), given dy =
// ∂L/∂y (N×C×1×1) and the shape of x: dx[n,c,h,v] = dy[n,c,0,0]/(H·W). It
// panics if xShape is not 4-D or dy is not N×C×1×1.
func GlobalAvgPool2DGrad(dy *Tensor, xShape []int) *Tensor {
	if len(xShape) != 4 {
		panic(fmt.Sprintf("tensor: GlobalAvgPool2DGrad: input shape %v is not 4-D N×C×H×W", xShape))
	}
	if want := []int{xShape[0], xShape[1], 1, 1}; !SameShape(dy.shape, want) {
		panic(fmt.Sprintf("tensor: GlobalAvgPool2DGrad: dy %v does not match the output shape %v for x %v", dy.shape, want, xShape))
	}
	dx := newOut(xShape)
	hw := xShape[2] * xShape[3]
	if hw == 0 {
		return dx
	}
	parallel.For(xShape[0]*xShape[1], max(1, poolGrain/hw), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			d := dy.data[pl] / float32(hw)
			row := dx.data[pl*hw : (pl+1)*hw]
			for k := range row {
				row[k] = d
			}
		}
	})
	return dx
}
