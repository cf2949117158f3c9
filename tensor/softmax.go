package tensor

import (
	"fmt"
	"math"
)

// Softmax returns the softmax of t along axis, with t's shape: for every
// line x of t along the axis, out = exp(x − m) / Σₖ exp(xₖ − m), where
// m = maxₖ xₖ. Subtracting m leaves the result unchanged and keeps exp from
// overflowing, so large inputs are safe. Sums are accumulated in float64.
func Softmax(t *Tensor, axis int) *Tensor { return softmax("Softmax", t, axis, false) }

// LogSoftmax returns the logarithm of the softmax of t along axis, with t's
// shape: for every line x along the axis, out = x − m − ln Σₖ exp(xₖ − m)
// with m = maxₖ xₖ, computed without forming the softmax, so that it stays
// finite where the softmax underflows to 0.
func LogSoftmax(t *Tensor, axis int) *Tensor { return softmax("LogSoftmax", t, axis, true) }

// SoftmaxGrad returns the gradient of Softmax along axis given its output y
// and the upstream gradient dy, both of the same shape: for every line,
// dx = y ⊙ (dy − Σₖ dyₖ·yₖ).
func SoftmaxGrad(y, dy *Tensor, axis int) *Tensor {
	return softmaxGrad("SoftmaxGrad", y, dy, axis, false)
}

// LogSoftmaxGrad returns the gradient of LogSoftmax along axis given its
// output y and the upstream gradient dy, both of the same shape: for every
// line, dx = dy − exp(y) ⊙ Σₖ dyₖ.
func LogSoftmaxGrad(y, dy *Tensor, axis int) *Tensor {
	return softmaxGrad("LogSoftmaxGrad", y, dy, axis, true)
}

func softmax(op string, t *Tensor, axis int, log bool) *Tensor {
	outer, n, inner := splitAxis(t.shape, t.axis(op, axis))
	out := newOut(t.shape)
	if n == 0 {
		return out
	}
	size := n * inner
	forBlocks(outer, size, func(lo, hi int) {
		m := make([]float32, inner)
		s := make([]float64, inner)
		for o := lo; o < hi; o++ {
			softmaxBlock(out.data[o*size:(o+1)*size], t.data[o*size:(o+1)*size], n, log, m, s)
		}
	})
	return out
}

// softmaxBlock computes the (log-)softmax of the n×inner block x along its
// first dimension into dst, so that the inner loops run over contiguous
// memory. m and s are scratch space of inner elements.
func softmaxBlock(dst, x []float32, n int, log bool, m []float32, s []float64) {
	inner := len(m)
	copy(m, x[:inner])
	for k := 1; k < n; k++ {
		for j, v := range x[k*inner : (k+1)*inner] {
			m[j] = max(m[j], v)
		}
	}
	clear(s)
	for k := range n {
		d := dst[k*inner : (k+1)*inner]
		for j, v := range x[k*inner : (k+1)*inner] {
			e := math.Exp(float64(v) - float64(m[j]))
			s[j] += e
			d[j] = float32(e)
		}
	}
	if log {
		for j := range s {
			s[j] = float64(m[j]) + math.Log(s[j]) // ln Σ exp x
		}
		for k := range n {
			d := dst[k*inner : (k+1)*inner]
			for j, v := range x[k*inner : (k+1)*inner] {
				d[j] = float32(float64(v) - s[j])
			}
		}
		return
	}
	for j := range s {
		s[j] = 1 / s[j]
	}
	for k := range n {
		d := dst[k*inner : (k+1)*inner]
		for j, v := range d {
			d[j] = float32(float64(v) * s[j])
		}
	}
}

func softmaxGrad(op string, y, dy *Tensor, axis int, log bool) *Tensor {
	if !SameShape(y.shape, dy.shape) {
		panic(fmt.Sprintf("tensor: %s: output shape %v and gradient shape %v differ", op, y.shape, dy.shape))
	}
	outer, n, inner := splitAxis(y.shape, y.axis(op, axis))
	dx := newOut(y.shape)
	size := n * inner
	forBlocks(outer, size, func(lo, hi int) {
		s := make([]float64, inner)
		for o := lo; o < hi; o++ {
			yb, gb, db := y.data[o*size:(o+1)*size], dy.data[o*size:(o+1)*size], dx.data[o*size:(o+1)*size]
			clear(s)
			for k := range n {
				row, g := yb[k*inner:(k+1)*inner], gb[k*inner:(k+1)*inner]
				for j := range s {
					if log {
						s[j] += float64(g[j])
					} else {
						s[j] += float64(g[j]) * float64(row[j])
					}
				}
			}
			for k := range n {
				row, g, d := yb[k*inner:(k+1)*inner], gb[k*inner:(k+1)*inner], db[k*inner:(k+1)*inner]
				for j := range s {
					if log {
						d[j] = float32(float64(g[j]) - math.Exp(float64(row[j]))*s[j])
					} else {
						d[j] = float32(float64(row[j]) * (float64(g[j]) - s[j]))
					}
				}
			}
		}
	})
	return dx
}
