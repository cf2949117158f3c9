package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/internal/parallel"
)

// BroadcastShapes returns the shape that a and b broadcast to under NumPy's
// rules: shapes are aligned at their last dimension, and each pair of
// dimensions must be equal or contain a 1. ok is false if they do not
// broadcast.
func BroadcastShapes(a, b []int) (shape []int, ok bool) {
	n := max(len(a), len(b))
	shape = make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			shape[i] = da
		case da == 1:
			shape[i] = db
		default:
			return nil, false
		}
	}
	return shape, true
}

func mustBroadcast(op string, a, b []int) []int {
	s, ok := BroadcastShapes(a, b)
	if !ok {
		panic(fmt.Sprintf("tensor: %s: shapes %v and %v are not broadcastable", op, a, b))
	}
	return s
}

// broadcastStrides returns the strides with which an operand of shape in is
// read when broadcast to shape out: 0 along broadcast dimensions.
func broadcastStrides(in, out []int) []int {
	st := make([]int, len(out))
	acc := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(in) - len(out) + i
		if j < 0 {
			continue
		}
		if in[j] != 1 {
			st[i] = acc
		}
		acc *= in[j]
	}
	return st
}

// elemGrain is the number of elements from which element-wise loops are
// split into ranges that run in parallel. The ranges depend only on the
// shapes, so results do not depend on the number of workers.
const elemGrain = 1 << 15

// stridedLoop is a row-major walk over a shape that reads two operands
// with the given strides. It is cut into units: unit u is chunk u%per, of at
// most chunk elements, of run u/per, a run being one row of the last
// dimension.
type stridedLoop struct {
	shape, sta, stb []int
	n, chunk, per   int // run length, chunk length, chunks per run
	units           int
}

// newStridedLoop prepares the walk over shape with chunks of at most chunk
// elements (whole runs if chunk is 0). It first drops dimensions of size 1
// and merges adjacent dimensions along which both operands advance
// uniformly, so that loops go over as few and as long runs as possible:
// equal shapes or a one-element operand give a single dimension, and
// [N C H W] with [1 C 1 1] gives [N C H·W], a run per channel plane.
func newStridedLoop(shape, sta, stb []int, chunk int) stridedLoop {
	var l stridedLoop
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if k := len(l.shape) - 1; k >= 0 && l.sta[k] == sta[i]*d && l.stb[k] == stb[i]*d {
			l.shape[k] *= d
			l.sta[k], l.stb[k] = sta[i], stb[i]
			continue
		}
		l.shape = append(l.shape, d)
		l.sta = append(l.sta, sta[i])
		l.stb = append(l.stb, stb[i])
	}
	if len(l.shape) == 0 { // one element
		l.shape, l.sta, l.stb = []int{1}, []int{0}, []int{0}
	}
	total := NumElements(l.shape)
	if total == 0 {
		return l
	}
	l.n = l.shape[len(l.shape)-1]
	l.chunk = l.n
	if chunk > 0 {
		l.chunk = min(l.n, chunk)
	}
	l.per = (l.n + l.chunk - 1) / l.chunk
	l.units = total / l.n * l.per
	return l
}

// run calls inner for units lo to hi-1 with the output offset (row-major
// in the walked shape), the operand offsets, the operand strides along the
// run and the chunk length.
func (l *stridedLoop) run(lo, hi int, inner func(o, ia, ib, sa, sb, n int)) {
	if lo >= hi {
		return
	}
	shape, sta, stb := l.shape, l.sta, l.stb
	nd := len(shape)
	idx := make([]int, nd-1)
	r := lo / l.per
	ia, ib := 0, 0
	for d := nd - 2; d >= 0; d-- {
		idx[d] = r % shape[d]
		r /= shape[d]
		ia += idx[d] * sta[d]
		ib += idx[d] * stb[d]
	}
	sa, sb := sta[nd-1], stb[nd-1]
	o, c := lo/l.per*l.n, lo%l.per
	for u := lo; u < hi; u++ {
		k := c * l.chunk
		inner(o+k, ia+k*sa, ib+k*sb, sa, sb, min(l.chunk, l.n-k))
		if c++; c < l.per {
			continue
		}
		c = 0
		o += l.n
		for d := nd - 2; d >= 0; d-- {
			idx[d]++
			ia += sta[d]
			ib += stb[d]
			if idx[d] < shape[d] {
				break
			}
			ia -= sta[d] * shape[d]
			ib -= stb[d] * shape[d]
			idx[d] = 0
		}
	}
}

// broadcastLoop walks shape in row-major order and calls inner once per run
// of the last (merged) dimension with the output offset, the operand
// offsets, the operand strides along the run and the run length.
func broadcastLoop(shape, sta, stb []int, inner func(o, ia, ib, sa, sb, n int)) {
	l := newStridedLoop(shape, sta, stb, 0)
	l.run(0, l.units, inner)
}

// parallelLoop is broadcastLoop for an inner function that writes only the
// output elements [o, o+n) it is given: runs longer than elemGrain are cut
// into chunks, and ranges of about elemGrain elements run in parallel.
func parallelLoop(shape, sta, stb []int, inner func(o, ia, ib, sa, sb, n int)) {
	l := newStridedLoop(shape, sta, stb, elemGrain)
	if l.units == 0 {
		return
	}
	parallel.For(l.units, max(1, elemGrain/l.chunk), func(lo, hi int) { l.run(lo, hi, inner) })
}

// binaryKernel computes dst[i] = f(a[i], b[i]) for one function f on runs
// of elements: vv with two slices, vs with a scalar b, sv with a scalar a.
// The slices have len(dst) elements.
type binaryKernel struct {
	vv func(dst, a, b []float32)
	vs func(dst, a []float32, b float32)
	sv func(dst []float32, a float32, b []float32)
}

// funcKernel makes a binaryKernel that calls f per element, for functions
// whose own cost dwarfs the call (Pow) or that are rarely on a hot path
// (Minimum, Maximum).
func funcKernel(f func(x, y float32) float32) binaryKernel {
	return binaryKernel{
		vv: func(dst, a, b []float32) {
			a, b = a[:len(dst)], b[:len(dst)]
			for i := range dst {
				dst[i] = f(a[i], b[i])
			}
		},
		vs: func(dst, a []float32, b float32) {
			a = a[:len(dst)]
			for i := range dst {
				dst[i] = f(a[i], b)
			}
		},
		sv: func(dst []float32, a float32, b []float32) {
			b = b[:len(dst)]
			for i := range dst {
				dst[i] = f(a, b[i])
			}
		},
	}
}

// binaryOp computes out = f(a, b) element-wise with broadcasting, where k
// computes f on runs of elements. Along a run an operand's stride is 1, or
// 0 if it is broadcast: the innermost merged dimension of a contiguous
// operand is contiguous.
func binaryOp(op string, a, b *Tensor, k binaryKernel) *Tensor {
	shape := a.shape
	if !SameShape(a.shape, b.shape) {
		shape = mustBroadcast(op, a.shape, b.shape)
	}
	out := newOutUninit(shape) // the loop writes every element
	parallelLoop(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape),
		func(o, ia, ib, sa, sb, n int) {
			dst := out.data[o : o+n]
			switch {
			case sa == 0:
				k.sv(dst, a.data[ia], b.data[ib:ib+n])
			case sb == 0:
				k.vs(dst, a.data[ia:ia+n], b.data[ib])
			default:
				k.vv(dst, a.data[ia:ia+n], b.data[ib:ib+n])
			}
		})
	return out
}

// BroadcastTo returns a copy of t broadcast to shape under NumPy's rules:
// out[i] = t[i'] where i' is i with the coordinates of broadcast dimensions
// set to 0 and leading dimensions absent from t dropped. It panics unless t's
// shape broadcasts to exactly shape.
func BroadcastTo(t *Tensor, shape []int) *Tensor {
	if s, ok := BroadcastShapes(t.shape, shape); !ok || !SameShape(s, shape) {
		panic(fmt.Sprintf("tensor: BroadcastTo: shape %v cannot be broadcast to %v", t.shape, shape))
	}
	out := newOutUninit(shape) // the loop writes every element
	parallelLoop(shape, broadcastStrides(t.shape, shape), Strides(shape),
		func(o, ia, _, sa, _, n int) {
			dst := out.data[o : o+n]
			if sa == 0 {
				v := t.data[ia]
				for k := range dst {
					dst[k] = v
				}
				return
			}
			copy(dst, t.data[ia:ia+n])
		})
	return out
}

// SumTo sums t over the dimensions along which a tensor of the given shape
// was broadcast to t's shape, returning a tensor of that shape. It is the
// adjoint of broadcasting and gives the gradient of a broadcast operand.
// If the shapes are equal, t itself is returned.
func SumTo(t *Tensor, shape []int) *Tensor {
	if SameShape(t.shape, shape) {
		return t
	}
	if s, ok := BroadcastShapes(shape, t.shape); !ok || !SameShape(s, t.shape) {
		panic(fmt.Sprintf("tensor: SumTo: shape %v does not broadcast to %v", shape, t.shape))
	}
	out := newOut(shape)
	reduceInto(out, t, sumReducer)
	return out
}
