package tensor

import (
	"fmt"

	"github.com/autonl-go/autonl/internal/parallel"
)

// Permute returns a copy of t with its axes reordered: axis i of the result
// is axis axes[i] of t, so out[i₀, …, iₙ₋₁] = t[j] with j[axes[k]] = iₖ, and
// the result has shape [shape(t)[axes[0]], …]. axes must be a permutation of
// the axes of t; negative entries count from the end.
func Permute(t *Tensor, axes ...int) *Tensor {
	nd := len(t.shape)
	if len(axes) != nd {
		panic(fmt.Sprintf("tensor: Permute: %d axes %v for shape %v of %d dimensions", len(axes), axes, t.shape, nd))
	}
	perm := make([]int, nd)
	seen := make([]bool, nd)
	for i, a := range axes {
		p := normAxis("Permute", a, t.shape)
		if seen[p] {
			panic(fmt.Sprintf("tensor: Permute: axes %v are not a permutation of the %d axes of shape %v", axes, nd, t.shape))
		}
		seen[p] = true
		perm[i] = p
	}
	return permute(t, perm)
}

// Transpose returns a copy of t with axes a and b swapped; negative axes
// count from the end. For a matrix, Transpose(t, 0, 1) is its transpose.
func Transpose(t *Tensor, a, b int) *Tensor {
	perm := make([]int, len(t.shape))
	for i := range perm {
		perm[i] = i
	}
	a, b = t.axis("Transpose", a), t.axis("Transpose", b)
	perm[a], perm[b] = b, a
	return permute(t, perm)
}

// permute gathers t into the axis order perm, a valid permutation, by
// walking the output in row-major order and reading t with permuted strides.
func permute(t *Tensor, perm []int) *Tensor {
	shape := make([]int, len(perm))
	in := make([]int, len(perm))
	st := Strides(t.shape)
	for i, p := range perm {
		shape[i], in[i] = t.shape[p], st[p]
	}
	out := newOutUninit(shape) // the loop writes every element
	parallelLoop(shape, in, Strides(shape), func(o, ia, _, sa, _, n int) {
		dst := out.data[o : o+n]
		if sa == 1 {
			copy(dst, t.data[ia:ia+n])
			return
		}
		for k := range dst {
			dst[k] = t.data[ia+k*sa]
		}
	})
	return out
}

// Slice returns a copy of the elements of t with indices start, start+step,
// … below stop along axis, as t[..., start:stop:step, ...] in Python. The
// result has shape(t)[axis] = max(0, ⌈(stop − start)/step⌉) and t's other
// dimensions. start and stop must lie in [0, shape(t)[axis]] and step must
// be at least 1; a negative axis counts from the end.
func Slice(t *Tensor, axis, start, stop, step int) *Tensor {
	ax, m := sliceLen("Slice", t.shape, axis, start, stop, step)
	shape := cloneInts(t.shape)
	shape[ax] = m
	out := newOutUninit(shape) // the copies below fill it
	outer, n, inner := splitAxis(t.shape, ax)
	if outer*m*inner == 0 {
		return out
	}
	if inner == 1 {
		// A slice of the last axis (LightNL's strided keys): ranges of
		// the outer index in parallel, about sliceGrain elements each,
		// element by element rather than one copy call per element.
		parallel.For(outer, max(1, sliceGrain/m), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				src, dst := t.data[o*n+start:], out.data[o*m:(o+1)*m]
				for k := range dst {
					dst[k] = src[k*step]
				}
			}
		})
		return out
	}
	// Ranges of the copied rows of inner elements (row k of outer index o
	// is u = o·m + k) in parallel, about sliceGrain elements each, each
	// row cut into pieces of sliceGrain: a slice of the first axis (a
	// range of a batch's images) is one long run, parallel too.
	pieces := (inner + sliceGrain - 1) / sliceGrain
	parallel.For(outer*m*pieces, max(1, sliceGrain/min(inner, sliceGrain)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			row, piece := u/pieces, u%pieces
			o, k := row/m, row%m
			j0, j1 := piece*sliceGrain, min((piece+1)*sliceGrain, inner)
			src := (o*n+start+k*step)*inner + j0
			copy(out.data[(o*m+k)*inner+j0:(o*m+k)*inner+j1], t.data[src:src+j1-j0])
		}
	})
	return out
}

// sliceGrain is the number of elements per range of Slice's parallel
// loop.
const sliceGrain = 1 << 14

// SliceGrad returns the gradient of Slice(x, axis, start, stop, step) for
// an input x of shape inShape given the gradient dy of the slice: a tensor
// of shape inShape that holds dy at the sliced positions and 0 elsewhere.
// dy must have the shape of the slice.
func SliceGrad(dy *Tensor, inShape []int, axis, start, stop, step int) *Tensor {
	ax, m := sliceLen("SliceGrad", inShape, axis, start, stop, step)
	want := cloneInts(inShape)
	want[ax] = m
	if !SameShape(dy.shape, want) {
		panic(fmt.Sprintf("tensor: SliceGrad: gradient shape %v differs from shape %v of slice %d:%d:%d of axis %d of shape %v",
			dy.shape, want, start, stop, step, ax, inShape))
	}
	dx := newOut(inShape)
	outer, n, inner := splitAxis(inShape, ax)
	for o := range outer {
		for k := range m {
			dst := (o*n + start + k*step) * inner
			copy(dx.data[dst:dst+inner], dy.data[(o*m+k)*inner:(o*m+k+1)*inner])
		}
	}
	return dx
}

// sliceLen validates a slice of shape and returns the normalized axis and
// the length of the slice along it.
func sliceLen(op string, shape []int, axis, start, stop, step int) (ax, m int) {
	ax = normAxis(op, axis, shape)
	dim := shape[ax]
	if start < 0 || start > dim {
		panic(fmt.Sprintf("tensor: %s: start %d out of range [0, %d] for axis %d of shape %v", op, start, dim, ax, shape))
	}
	if stop < 0 || stop > dim {
		panic(fmt.Sprintf("tensor: %s: stop %d out of range [0, %d] for axis %d of shape %v", op, stop, dim, ax, shape))
	}
	if step < 1 {
		panic(fmt.Sprintf("tensor: %s: step %d is less than 1", op, step))
	}
	if stop > start {
		m = (stop - start + step - 1) / step
	}
	return ax, m
}

// Concat returns the concatenation of ts along axis: the tensors must have
// the same shape except along axis, and the result has that shape with
// shape[axis] the sum of theirs. A negative axis counts from the end.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("tensor: Concat: no tensors to concatenate")
	}
	first := ts[0].shape
	ax := normAxis("Concat", axis, first)
	shape := cloneInts(first)
	shape[ax] = 0
	for i, t := range ts {
		if !sameExcept(t.shape, first, ax) {
			panic(fmt.Sprintf("tensor: Concat: shape %v of tensor %d differs from shape %v of tensor 0 outside axis %d", t.shape, i, first, ax))
		}
		shape[ax] += t.shape[ax]
	}
	out := newOutUninit(shape) // the copies below fill it
	outer, _, inner := splitAxis(shape, ax)
	off := 0
	for o := range outer {
		for _, t := range ts {
			n := t.shape[ax] * inner
			copy(out.data[off:off+n], t.data[o*n:(o+1)*n])
			off += n
		}
	}
	return out
}

// sameExcept reports whether shapes a and b are equal but for axis ax.
func sameExcept(a, b []int, ax int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != ax && a[i] != b[i] {
			return false
		}
	}
	return true
}

// splitAxis views shape as [outer, n, inner] around axis ax: outer is the
// product of the dimensions before it, n its size and inner the product of
// the dimensions after it.
func splitAxis(shape []int, ax int) (outer, n, inner int) {
	return NumElements(shape[:ax]), shape[ax], NumElements(shape[ax+1:])
}

// forBlocks calls f for ranges of [0, outer) of blocks of size elements
// each, in parallel ranges of about elemGrain elements.
func forBlocks(outer, size int, f func(lo, hi int)) {
	parallel.For(outer, max(1, elemGrain/max(size, 1)), f)
}
