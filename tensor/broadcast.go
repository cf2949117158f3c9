package tensor

import "fmt"

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

// binaryOp computes out[i] = f(a[i], b[i]) with broadcasting. The inner
// loop runs over the last dimension with fixed operand strides.
func binaryOp(op string, a, b *Tensor, f func(x, y float32) float32) *Tensor {
	if SameShape(a.shape, b.shape) {
		out := newOut(a.shape)
		for i, x := range a.data {
			out.data[i] = f(x, b.data[i])
		}
		return out
	}
	shape := mustBroadcast(op, a.shape, b.shape)
	out := newOut(shape)
	broadcastLoop(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape),
		func(o, ia, ib, sa, sb, n int) {
			dst := out.data[o : o+n]
			for k := range dst {
				dst[k] = f(a.data[ia+k*sa], b.data[ib+k*sb])
			}
		})
	return out
}

// broadcastLoop walks shape in row-major order and calls inner once per run
// of the last dimension with the output offset, the operand offsets, the
// operand strides along the last dimension and the run length.
func broadcastLoop(shape, sta, stb []int, inner func(o, ia, ib, sa, sb, n int)) {
	nd := len(shape)
	if nd == 0 {
		inner(0, 0, 0, 0, 0, 1)
		return
	}
	n := shape[nd-1]
	if n == 0 || NumElements(shape) == 0 {
		return
	}
	idx := make([]int, nd-1)
	ia, ib := 0, 0
	for o := 0; ; o += n {
		inner(o, ia, ib, sta[nd-1], stb[nd-1], n)
		d := nd - 2
		for ; d >= 0; d-- {
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
		if d < 0 {
			return
		}
	}
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor {
	return binaryOp("Add", a, b, func(x, y float32) float32 { return x + y })
}

// AddInto adds src to dst element-wise, in place. The shapes must be equal.
func AddInto(dst, src *Tensor) {
	if !SameShape(dst.shape, src.shape) {
		panic(fmt.Sprintf("tensor: AddInto: shapes %v and %v differ", dst.shape, src.shape))
	}
	d := dst.data[:len(src.data)]
	for i, x := range src.data {
		d[i] += x
	}
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
	broadcastLoop(t.shape, broadcastStrides(shape, t.shape), broadcastStrides(t.shape, t.shape),
		func(o, io, _, so, _, n int) {
			src := t.data[o : o+n]
			if so == 0 {
				var s float32
				for _, x := range src {
					s += x
				}
				out.data[io] += s
				return
			}
			dst := out.data[io : io+n]
			for k, x := range src {
				dst[k] += x
			}
		})
	return out
}
