package tensor

import (
	"fmt"
	"math"
)

// The reductions below combine the elements of t along the given axes.
// No axes means all axes. Axes may be negative, counting from the end;
// an axis out of range or given twice panics. With keepDims the reduced
// axes stay in the result with size 1, so that it broadcasts against t;
// otherwise they are removed, and reducing all axes gives a scalar of
// shape [].

// Sum returns the sum of t's elements over axes: out[j] = Σᵢ t[j, i],
// where i runs over the reduced axes. Runs along the last dimension are
// accumulated in float64.
func Sum(t *Tensor, keepDims bool, axes ...int) *Tensor {
	out, _ := reduce("Sum", t, keepDims, axes, sumReducer)
	return out
}

// Mean returns the arithmetic mean of t's elements over axes:
// out[j] = Σᵢ t[j, i] / n, where n is the number of elements reduced into
// each result (NaN if n is 0).
func Mean(t *Tensor, keepDims bool, axes ...int) *Tensor {
	out, r := reduce("Mean", t, keepDims, axes, sumReducer)
	scale(out, r.count)
	return out
}

// Max returns the largest of t's elements over axes: out[j] = maxᵢ t[j, i].
// A NaN among them gives NaN. It panics if a reduced axis has size 0.
func Max(t *Tensor, keepDims bool, axes ...int) *Tensor {
	return extremum("Max", t, keepDims, axes, maxReducer)
}

// Min returns the smallest of t's elements over axes:
// out[j] = minᵢ t[j, i]. A NaN among them gives NaN. It panics if a reduced
// axis has size 0.
func Min(t *Tensor, keepDims bool, axes ...int) *Tensor {
	return extremum("Min", t, keepDims, axes, minReducer)
}

// Variance returns the variance of t's elements over axes:
// out[j] = Σᵢ (t[j, i] − m[j])² / (n − δ), where m is the mean over the
// axes, n the number of elements reduced into each result, and δ is 1 if
// unbiased (Bessel's correction, PyTorch's default) and 0 otherwise. The
// deviations from the mean are summed in a second pass, for accuracy. With
// n − δ = 0 the result is NaN.
func Variance(t *Tensor, unbiased, keepDims bool, axes ...int) *Tensor {
	r := newReduction("Variance", t.shape, axes, keepDims)
	mean := newOut(r.keep)
	reduceInto(mean, t, sumReducer)
	scale(mean, r.count)
	d := Sub(t, mean)
	for i, v := range d.data {
		d.data[i] = v * v
	}
	out := newOut(r.keep)
	reduceInto(out, d, sumReducer)
	Release(d)
	Release(mean)
	n := r.count
	if unbiased {
		n--
	}
	scale(out, n)
	out.shape = r.out
	return out
}

// ArgMax returns the index along axis of the largest element of every
// line of t along that axis, for the lines in row-major order of the
// remaining dimensions: for t of shape [A, n, B] and axis 1, the result has
// A·B entries and entry a·B + b is argmaxₖ t[a, k, b]. Ties go to the first
// index, and a NaN counts as larger than any number. It panics if the axis
// is out of range or has size 0.
func ArgMax(t *Tensor, axis int) []int {
	ax := t.axis("ArgMax", axis)
	outer, n, inner := splitAxis(t.shape, ax)
	if n == 0 {
		panic(fmt.Sprintf("tensor: ArgMax: axis %d of shape %v has size 0", ax, t.shape))
	}
	idx := make([]int, outer*inner)
	best := make([]float32, inner)
	for o := range outer {
		block := t.data[o*n*inner : (o+1)*n*inner]
		res := idx[o*inner : (o+1)*inner]
		copy(best, block[:inner])
		for k := 1; k < n; k++ {
			for j, v := range block[k*inner : (k+1)*inner] {
				if v > best[j] || v != v && best[j] == best[j] {
					best[j], res[j] = v, k
				}
			}
		}
	}
	return idx
}

// reduction describes a reduction of a shape over some axes.
type reduction struct {
	keep  []int // the shape with the reduced axes set to 1
	out   []int // the result shape: keep, or the shape without the reduced axes
	count int   // the number of elements reduced into each result
}

// newReduction validates axes for shape (none meaning all) and describes
// the reduction.
func newReduction(op string, shape, axes []int, keepDims bool) reduction {
	reduced := make([]bool, len(shape))
	if len(axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	for _, a := range axes {
		i := normAxis(op, a, shape)
		if reduced[i] {
			panic(fmt.Sprintf("tensor: %s: duplicate axis %d in %v for shape %v", op, a, axes, shape))
		}
		reduced[i] = true
	}
	r := reduction{keep: cloneInts(shape), out: []int{}, count: 1}
	for i, d := range shape {
		if reduced[i] {
			r.keep[i] = 1
			r.count *= d
		} else {
			r.out = append(r.out, d)
		}
	}
	if keepDims {
		r.out = r.keep
	}
	return r
}

// reduce folds t over axes with rd.
func reduce(op string, t *Tensor, keepDims bool, axes []int, rd reducer) (*Tensor, reduction) {
	r := newReduction(op, t.shape, axes, keepDims)
	out := newOut(r.keep)
	if rd.init != 0 {
		out.Fill(rd.init)
	}
	reduceInto(out, t, rd)
	out.shape = cloneInts(r.out)
	return out, r
}

func extremum(op string, t *Tensor, keepDims bool, axes []int, rd reducer) *Tensor {
	out, r := reduce(op, t, keepDims, axes, rd)
	if r.count == 0 {
		panic(fmt.Sprintf("tensor: %s: cannot reduce over zero elements: axes %v of shape %v", op, axes, t.shape))
	}
	return out
}

// scale divides the elements of t by n.
func scale(t *Tensor, n int) {
	d := float32(n)
	for i, v := range t.data {
		t.data[i] = v / d
	}
}

// reducer folds elements into accumulators with an associative operation
// ⊕ whose identity is init.
type reducer struct {
	init float32
	fold func(acc float32, x []float32) float32 // acc ⊕ x[0] ⊕ x[1] ⊕ …
	into func(acc, x []float32)                 // acc[i] = acc[i] ⊕ x[i]
}

var (
	sumReducer = reducer{
		fold: func(acc float32, x []float32) float32 { return acc + float32(sum64(x)) },
		into: func(acc, x []float32) {
			x = x[:len(acc)]
			for i := range acc {
				acc[i] += x[i]
			}
		},
	}
	maxReducer = reducer{
		init: float32(math.Inf(-1)),
		fold: func(acc float32, x []float32) float32 {
			for _, v := range x {
				acc = max(acc, v)
			}
			return acc
		},
		into: func(acc, x []float32) {
			x = x[:len(acc)]
			for i := range acc {
				acc[i] = max(acc[i], x[i])
			}
		},
	}
	minReducer = reducer{
		init: float32(math.Inf(1)),
		fold: func(acc float32, x []float32) float32 {
			for _, v := range x {
				acc = min(acc, v)
			}
			return acc
		},
		into: func(acc, x []float32) {
			x = x[:len(acc)]
			for i := range acc {
				acc[i] = min(acc[i], x[i])
			}
		},
	}
)

// sum64 returns the sum of x accumulated in float64, four ways.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	for ; len(x) >= 4; x = x[4:] {
		s0 += float64(x[0])
		s1 += float64(x[1])
		s2 += float64(x[2])
		s3 += float64(x[3])
	}
	for _, v := range x {
		s0 += float64(v)
	}
	return (s0 + s1) + (s2 + s3)
}

// reduceInto folds every element of t into out, whose shape is t's with
// some dimensions set to 1 or missing at the front and whose elements hold
// the accumulators' start values.
func reduceInto(out, t *Tensor, rd reducer) {
	broadcastLoop(t.shape, Strides(t.shape), broadcastStrides(out.shape, t.shape),
		func(i, _, o, _, so, n int) {
			src := t.data[i : i+n]
			if so == 0 {
				out.data[o] = rd.fold(out.data[o], src)
				return
			}
			rd.into(out.data[o:o+n], src)
		})
}
