package tensor

import (
	"fmt"
	"math"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// Add returns a + b element-wise with NumPy broadcasting; the result has
// shape BroadcastShapes(shape(a), shape(b)).
func Add(a, b *Tensor) *Tensor { return binaryOp("Add", a, b, addKernel) }

// Sub returns a − b element-wise with NumPy broadcasting.
func Sub(a, b *Tensor) *Tensor { return binaryOp("Sub", a, b, subKernel) }

// Mul returns the element-wise product a·b with NumPy broadcasting.
func Mul(a, b *Tensor) *Tensor { return binaryOp("Mul", a, b, mulKernel) }

// Div returns the element-wise quotient a / b with NumPy broadcasting.
// Division by zero follows IEEE 754 (±Inf or NaN).
func Div(a, b *Tensor) *Tensor { return binaryOp("Div", a, b, divKernel) }

// Pow returns a^b element-wise with NumPy broadcasting, with math.Pow's
// special cases (a negative a with a non-integer b gives NaN).
func Pow(a, b *Tensor) *Tensor { return binaryOp("Pow", a, b, powKernel) }

// Minimum returns min(a, b) element-wise with NumPy broadcasting. A NaN in
// either operand gives NaN.
func Minimum(a, b *Tensor) *Tensor { return binaryOp("Minimum", a, b, minKernel) }

// Maximum returns max(a, b) element-wise with NumPy broadcasting. A NaN in
// either operand gives NaN.
func Maximum(a, b *Tensor) *Tensor { return binaryOp("Maximum", a, b, maxKernel) }

var (
	addKernel = binaryKernel{
		vv: vec.Add,
		vs: func(dst, a []float32, b float32) {
			a = a[:len(dst)]
			for i := range dst {
				dst[i] = a[i] + b
			}
		},
		sv: func(dst []float32, a float32, b []float32) {
			b = b[:len(dst)]
			for i := range dst {
				dst[i] = a + b[i]
			}
		},
	}
	subKernel = binaryKernel{
		vv: func(dst, a, b []float32) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = a[i] - b[i]
			}
		},
		vs: func(dst, a []float32, b float32) {
			a = a[:len(dst)]
			for i := range dst {
				dst[i] = a[i] - b
			}
		},
		sv: func(dst []float32, a float32, b []float32) {
			b = b[:len(dst)]
			for i := range dst {
				dst[i] = a - b[i]
			}
		},
	}
	mulKernel = binaryKernel{
		vv: vec.Mul,
		vs: vec.Scale,
		// a·b[i] = b[i]·a: IEEE multiplication commutes.
		sv: func(dst []float32, a float32, b []float32) { vec.Scale(dst, b, a) },
	}
	divKernel = binaryKernel{
		vv: func(dst, a, b []float32) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
		},
		vs: func(dst, a []float32, b float32) {
			a = a[:len(dst)]
			for i := range dst {
				dst[i] = a[i] / b
			}
		},
		sv: func(dst []float32, a float32, b []float32) {
			b = b[:len(dst)]
			for i := range dst {
				dst[i] = a / b[i]
			}
		},
	}
	powKernel = funcKernel(func(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) })
	minKernel = funcKernel(func(x, y float32) float32 { return min(x, y) })
	maxKernel = funcKernel(func(x, y float32) float32 { return max(x, y) })
)

// AddInto adds src to dst element-wise, in place: dst += src. The shapes
// must be equal.
func AddInto(dst, src *Tensor) {
	if !SameShape(dst.shape, src.shape) {
		panic(fmt.Sprintf("tensor: AddInto: shapes %v and %v differ", dst.shape, src.shape))
	}
	parallel.For(len(src.data), elemGrain, func(lo, hi int) {
		d, s := dst.data[lo:hi], src.data[lo:hi]
		for i, x := range s {
			d[i] += x
		}
	})
}

// MulPlanesInto multiplies each plane of x by its own factor, in place:
// x[n, c, …] ← s[n·C + c]·x[n, c, …] for x of shape N×C×… and s of N·C
// elements (N×C×1×1, say), with the products of Mul(s, x) bit for bit.
// A plane is one call of the vector kernel (Mul's broadcast calls it per
// row of the last dimension: 7 values at a time on 7×7 maps), and the
// result needs no buffer of its own: a squeeze-excite unit's product at
// inference, whose input is discarded once scaled. It panics if x has
// fewer than 2 dimensions or s does not have N·C elements.
func MulPlanesInto(x, s *Tensor) {
	if len(x.shape) < 2 || len(s.data) != x.shape[0]*x.shape[1] {
		panic(fmt.Sprintf("tensor: MulPlanesInto: %d factors for x %v, want N·C", len(s.data), x.shape))
	}
	planes := len(s.data)
	if planes == 0 {
		return
	}
	size := len(x.data) / planes
	if size == 0 {
		return
	}
	parallel.For(planes, max(1, elemGrain/size), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			plane := x.data[p*size : (p+1)*size]
			vec.Scale(plane, plane, s.data[p])
		}
	})
}

// AxpyInto adds alpha·x to dst element-wise, in place: dst += alpha·x. The
// shapes must be equal.
func AxpyInto(dst *Tensor, alpha float32, x *Tensor) {
	if !SameShape(dst.shape, x.shape) {
		panic(fmt.Sprintf("tensor: AxpyInto: shapes %v and %v differ", dst.shape, x.shape))
	}
	parallel.For(len(x.data), elemGrain, func(lo, hi int) {
		d, s := dst.data[lo:hi], x.data[lo:hi]
		for i, v := range s {
			d[i] += alpha * v
		}
	})
}

// unaryOp returns f applied to t: f(dst, x) must set every dst[i] from
// x[i] for slices of equal length (the output is not cleared first). Long
// tensors are processed in parallel ranges.
func unaryOp(t *Tensor, f func(dst, x []float32)) *Tensor {
	return unaryOpGrain(t, elemGrain, f)
}

// transGrain is the number of elements from which element-wise loops of
// a float64 transcendental function per element (exp, log, tanh, σ) are
// split into ranges that run in parallel: they cost tens of times more per
// element than the loops elemGrain is for.
const transGrain = 1 << 11

// unaryOpGrain is unaryOp split into ranges of grain elements.
func unaryOpGrain(t *Tensor, grain int, f func(dst, x []float32)) *Tensor {
	out := newOutUninit(t.shape)
	parallel.For(len(t.data), grain, func(lo, hi int) { f(out.data[lo:hi], t.data[lo:hi]) })
	return out
}

// gradOp returns f applied to x and dy, which must have the same shape:
// f(dx, x, dy) sets dx[i] from x[i] and dy[i]. It serves the backward
// kernels of element-wise functions.
func gradOp(op string, x, dy *Tensor, f func(dx, x, dy []float32)) *Tensor {
	return gradOpIn(newOut, op, x, dy, f)
}

// gradOpUninit is gradOp for functions f that write every element of dx:
// the output is not cleared first.
func gradOpUninit(op string, x, dy *Tensor, f func(dx, x, dy []float32)) *Tensor {
	return gradOpIn(newOutUninit, op, x, dy, f)
}

// gradOpIn is gradOp with an output of x's shape made by alloc.
func gradOpIn(alloc func(shape []int) *Tensor, op string, x, dy *Tensor, f func(dx, x, dy []float32)) *Tensor {
	if !SameShape(x.shape, dy.shape) {
		panic(fmt.Sprintf("tensor: %s: input shape %v and gradient shape %v differ", op, x.shape, dy.shape))
	}
	dx := alloc(x.shape)
	parallel.For(len(x.data), elemGrain, func(lo, hi int) { f(dx.data[lo:hi], x.data[lo:hi], dy.data[lo:hi]) })
	return dx
}

// AddScalar returns t + s element-wise, with t's shape.
func AddScalar(t *Tensor, s float32) *Tensor {
	return unaryOp(t, func(dst, x []float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = x[i] + s
		}
	})
}

// MulScalar returns s·t element-wise, with t's shape.
func MulScalar(t *Tensor, s float32) *Tensor {
	return unaryOp(t, func(dst, x []float32) { vec.Scale(dst, x, s) })
}

// PowScalar returns t^p element-wise, with t's shape and math.Pow's special
// cases (a negative element with a non-integer p gives NaN).
func PowScalar(t *Tensor, p float32) *Tensor {
	if p == 2 {
		return unaryOp(t, func(dst, x []float32) {
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] * x[i]
			}
		})
	}
	return unaryOp(t, func(dst, x []float32) {
		x = x[:len(dst)]
		for i := range dst {
			dst[i] = float32(math.Pow(float64(x[i]), float64(p)))
		}
	})
}

// Neg returns −t element-wise, with t's shape.
func Neg(t *Tensor) *Tensor { return unaryOp(t, negKernel) }

// Exp returns eˣ element-wise, with t's shape.
func Exp(t *Tensor) *Tensor { return unaryOpGrain(t, transGrain, expKernel) }

// Log returns the natural logarithm ln x element-wise, with t's shape:
// −Inf for 0 and NaN for negative elements.
func Log(t *Tensor) *Tensor { return unaryOpGrain(t, transGrain, logKernel) }

// Sqrt returns √x element-wise, with t's shape: NaN for negative elements.
func Sqrt(t *Tensor) *Tensor { return unaryOp(t, sqrtKernel) }

// Abs returns |x| element-wise, with t's shape.
func Abs(t *Tensor) *Tensor { return unaryOp(t, absKernel) }

func negKernel(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = -x[i]
	}
}

func expKernel(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = float32(math.Exp(float64(x[i])))
	}
}

func logKernel(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = float32(math.Log(float64(x[i])))
	}
}

func sqrtKernel(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = float32(math.Sqrt(float64(x[i])))
	}
}

func absKernel(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = float32(math.Abs(float64(x[i])))
	}
}
