package tensor

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/autonl-go/autonl/tensor/internal/gemm"
	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// ConvEpilogue is a per-output-channel affine map and clamp that
// Conv2DFused applies to a convolution's output while it is produced,
//
//	y[n,o,…] ← clamp((y[n,o,…] − mean_o)·a_o + b_o, lo, hi),
//
// the arithmetic of BatchNormInferenceClamp (see vec.Normalize), so that a
// convolution followed by batch norm in evaluation mode and a ReLU or
// ReLU6 costs one pass over its output instead of three. Swish may follow
// (ThenSwish), and then the addition of tensors of the output's shape
// (ThenAdd), residual connections. Make one with NewBatchNormEpilogue.
type ConvEpilogue struct {
	mean, a, b []float32
	lo, hi     float32
	swish      bool      // then x·σ(x) (vec.Swish)
	adds       []*Tensor // then + adds[0] + adds[1] + …
	means      []float32 // then the mean of each output plane (ThenMeans)
	planeLen   int       // the output planes' length, set by checkEpilogue when means is set
}

// NewBatchNormEpilogue returns the epilogue of batch norm in evaluation
// mode with the given statistics followed by a clamp to [lo, hi] (lo =
// −Inf, hi = +Inf for none): a_c = γ_c / sqrt(variance_c + eps), formed
// in float64 as BatchNormInference does, and b_c = β_c. gamma and beta may
// be nil (γ = 1, β = 0). Conv2DFused with it gives the results of
// BatchNormInferenceClamp(Conv2D(x, w, p), gamma, beta, mean, variance,
// eps, lo, hi) bit for bit. It panics if mean or variance is not 1-D, a
// parameter's length differs from mean's, eps is negative, or lo > hi.
func NewBatchNormEpilogue(gamma, beta, mean, variance *Tensor, eps, lo, hi float32) *ConvEpilogue {
	const op = "NewBatchNormEpilogue"
	if len(mean.shape) != 1 {
		panic(fmt.Sprintf("tensor: %s: mean %v is not 1-D", op, mean.shape))
	}
	c := mean.shape[0]
	shape := []int{1, c}
	checkChannelParam(op, "gamma", gamma, c, shape, true)
	checkChannelParam(op, "beta", beta, c, shape, true)
	checkChannelParam(op, "variance", variance, c, shape, false)
	checkEps(op, eps)
	checkBounds(op, lo, hi)
	e := &ConvEpilogue{mean: make([]float32, c), a: make([]float32, c), b: make([]float32, c), lo: lo, hi: hi}
	copy(e.mean, mean.data)
	for ch := range c {
		e.a[ch] = float32(channelValue(gamma, ch, 1) / math.Sqrt(float64(variance.data[ch])+float64(eps)))
		e.b[ch] = float32(channelValue(beta, ch, 0))
	}
	return e
}

// BatchNormEpilogueCache remembers the last epilogue it made and the
// parameters it made it from, so that a network in evaluation mode does not
// recompute a_c = γ_c / sqrt(variance_c + eps) (and three slices) for every
// convolution of every inference. The zero value is ready to use; it must
// not be copied after first use. It is safe for concurrent use.
type BatchNormEpilogueCache struct {
	mu sync.Mutex
	// in holds γ (if hasGamma), β (if hasBeta), the mean and the variance
	// as they were when base was made, one after the other.
	in                []float32
	hasGamma, hasBeta bool
	eps, lo, hi       float32
	base              *ConvEpilogue // nil: nothing cached
}

// Epilogue returns NewBatchNormEpilogue(gamma, beta, mean, variance, eps,
// lo, hi): a new ConvEpilogue (so that ThenSwish and ThenAdd on it reach
// no other caller) that shares the per-channel parameters of the last one
// made if every argument has the same value, bit for bit, as then, and
// otherwise makes them anew. The parameters' values are compared at every
// call, so any change to γ, β or the statistics is honoured, whatever made
// it. It panics as NewBatchNormEpilogue does.
func (c *BatchNormEpilogueCache) Epilogue(gamma, beta, mean, variance *Tensor, eps, lo, hi float32) *ConvEpilogue {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base == nil || !c.matches(gamma, beta, mean, variance, eps, lo, hi) {
		c.base = NewBatchNormEpilogue(gamma, beta, mean, variance, eps, lo, hi)
		c.in = c.in[:0]
		for _, t := range []*Tensor{gamma, beta, mean, variance} {
			if t != nil {
				c.in = append(c.in, t.data...)
			}
		}
		c.hasGamma, c.hasBeta = gamma != nil, beta != nil
		c.eps, c.lo, c.hi = eps, lo, hi
	}
	return &ConvEpilogue{mean: c.base.mean, a: c.base.a, b: c.base.b, lo: lo, hi: hi}
}

// matches reports whether the arguments are those base was made from.
func (c *BatchNormEpilogueCache) matches(gamma, beta, mean, variance *Tensor, eps, lo, hi float32) bool {
	if (gamma != nil) != c.hasGamma || (beta != nil) != c.hasBeta || !sameBits(eps, c.eps) ||
		!sameBits(lo, c.lo) || !sameBits(hi, c.hi) {
		return false
	}
	in := c.in
	for _, t := range []*Tensor{gamma, beta, mean, variance} {
		if t == nil {
			continue
		}
		if len(t.data) > len(in) || !bitsEqual(t.data, in[:len(t.data)]) {
			return false
		}
		in = in[len(t.data):]
	}
	return len(in) == 0
}

// sameBits reports whether x and y have the same bits.
func sameBits(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }

// bitsEqual reports whether x and y hold the same bits (unlike ==, NaNs
// of the same bits are equal and −0 differs from +0).
func bitsEqual(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	if len(x) == 0 {
		return true
	}
	bx := unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
	by := unsafe.Slice((*byte)(unsafe.Pointer(&y[0])), 4*len(y))
	return bytes.Equal(bx, by)
}

// ThenSwish makes e apply x·σ(x) after the clamp, with vec.Swish (float32
// arithmetic within a few units in the last place of the exact function;
// Swish computes it in float64, so the results are Swish's within float32
// rounding, not bit for bit), and returns e.
func (e *ConvEpilogue) ThenSwish() *ConvEpilogue {
	e.swish = true
	return e
}

// ThenAdd makes e add r, a tensor of the convolution's output shape,
// after the rest of the epilogue, y[i] ← y[i] + r[i] (with vec.Add), and
// returns e. Called more than once, it adds the tensors in that order:
// the results are those of tensor.Add(r, y) (IEEE addition commutes), so
// a residual connection costs no pass over memory of its own.
func (e *ConvEpilogue) ThenAdd(r *Tensor) *ConvEpilogue {
	e.adds = append(e.adds, r)
	return e
}

// ThenMeans makes e store the mean of each output plane once the rest of
// the epilogue has run on it, means[n·C + c] for image n and channel c,
// summed in float64 as GlobalAvgPool2D sums (planeMean), so the means are
// GlobalAvgPool2D's of the output bit for bit, and returns e.
// It saves a squeeze-excite unit that follows a depthwise convolution a
// pass over that convolution's output. Only depthwise convolutions apply
// their epilogue to whole planes: Conv2DFused and Conv2DFrozen panic if e
// has means and the convolution is not depthwise, or if means does not
// have one element per output plane.
func (e *ConvEpilogue) ThenMeans(means []float32) *ConvEpilogue {
	e.means = means
	return e
}

// Channels returns the number of output channels e applies to.
func (e *ConvEpilogue) Channels() int { return len(e.mean) }

// apply applies e to y[lo:hi], values of output channel ch, in place.
func (e *ConvEpilogue) apply(y []float32, lo, hi, ch int) {
	dst := y[lo:hi]
	if e.swish { // the affine map, the clamp and Swish in one pass
		vec.NormalizeSwish(dst, dst, e.mean[ch], e.a[ch], e.b[ch], e.lo, e.hi)
	} else {
		vec.Normalize(dst, dst, e.mean[ch], e.a[ch], e.b[ch], e.lo, e.hi)
	}
	e.rest(dst, lo)
}

// after applies the parts of e that follow the affine map and clamp,
// Swish and the additions, to dst, which starts at offset off of the
// output.
func (e *ConvEpilogue) after(dst []float32, off int) {
	if e.swish {
		vec.Swish(dst, dst)
	}
	e.rest(dst, off)
}

// planes applies e to the planes [p0, p1) of y, each of n values, one
// after the other, plane p being output channel p mod c: the affine map
// and clamp plane by plane, then Swish and the additions over all of them
// at once, and the means plane by plane. The results are those of apply
// on each plane, bit for bit (vec.NormalizeSwish is vec.Normalize followed
// by vec.Swish), in a call of Swish and of each addition per run rather
// than per plane: a 7×7 plane's call of NormalizeSwish in place cost about
// as much as Normalize on the plane and Swish on the run of planes (17
// planes of 49 values 28 ns against 17 per plane, Zen 5).
func (e *ConvEpilogue) planes(y []float32, p0, p1, n, c int) {
	for p := p0; p < p1; p++ {
		dst := y[p*n : (p+1)*n]
		ch := p % c
		vec.Normalize(dst, dst, e.mean[ch], e.a[ch], e.b[ch], e.lo, e.hi)
	}
	e.after(y[p0*n:p1*n], p0*n)
}

// rest applies the parts of e that follow Swish, the additions and the
// means, to dst, which starts at offset off of the output (whole output
// planes if e has means).
func (e *ConvEpilogue) rest(dst []float32, off int) {
	for _, r := range e.adds {
		vec.Add(dst, dst, r.data[off:off+len(dst)])
	}
	if e.means != nil {
		if len(dst)%e.planeLen != 0 || off%e.planeLen != 0 {
			panic(fmt.Sprintf("tensor: ConvEpilogue with means applied to %d outputs at %d, not whole planes of %d", len(dst), off, e.planeLen))
		}
		for p := 0; p < len(dst); p += e.planeLen {
			e.means[(off+p)/e.planeLen] = planeMean(dst[p : p+e.planeLen])
		}
	}
}

// rows applies e to the first n values of each of the rows of y's block
// starting at offset off (rows ld apart), row r being output channel
// ch0+r.
func (e *ConvEpilogue) rows(y []float32, off, rows, n, ld, ch0 int) {
	for r := range rows {
		e.apply(y, off+r*ld, off+r*ld+n, ch0+r)
	}
}

// gemm returns e as a GEMM epilogue over rows that are output channels:
// the affine map and clamp, which the micro-kernels apply in registers,
// and Swish and the additions after it if e has them, for a product whose
// C starts at offset base of the output.
func (e *ConvEpilogue) gemm(base int) (*gemm.Affine, gemm.Epilogue) {
	aff := &gemm.Affine{Mean: e.mean, Scale: e.a, Shift: e.b, Lo: e.lo, Hi: e.hi}
	if !e.swish && len(e.adds) == 0 {
		return aff, nil
	}
	return aff, func(off int, run []float32) { e.after(run, base+off) }
}

// Conv2DFused returns Conv2D(x, w, p) with ep applied to every output
// element (ep nil: none), in the same pass: each tile of a 1×1
// convolution's matrix product, each depthwise output plane and each
// image's output of other convolutions gets the epilogue right after it
// is computed, while it is in the caches. The results are those of
// Conv2D followed by the epilogue, bit for bit. It is for inference: it
// has no gradient. It panics as Conv2D does, if ep has a number of
// channels other than w's output channels, and if a tensor ep adds does
// not have the output's shape.
func Conv2DFused(x, w *Tensor, p Conv2DConfig, ep *ConvEpilogue) *Tensor {
	if ep == nil {
		return Conv2D(x, w, p)
	}
	g := newConvGeom("Conv2DFused", x.shape, w.shape, p)
	checkEpilogue("Conv2DFused", g, w, ep)
	return conv2D(g, x, w, ep, nil)
}

// checkEpilogue panics unless ep fits the output of the convolution of
// geometry g with filters w, and sets the plane length of its means.
func checkEpilogue(op string, g *convGeom, w *Tensor, ep *ConvEpilogue) {
	if ep.Channels() != g.cout {
		panic(fmt.Sprintf("tensor: %s: epilogue of %d channels for w %v with %d output channels", op, ep.Channels(), w.shape, g.cout))
	}
	if ep.means != nil {
		if !g.depthwise() {
			panic(fmt.Sprintf("tensor: %s: epilogue with means for w %v, not a depthwise convolution", op, w.shape))
		}
		if g.howo() == 0 {
			panic(fmt.Sprintf("tensor: %s: epilogue with means for empty output planes", op))
		}
		if len(ep.means) != g.n*g.cout {
			panic(fmt.Sprintf("tensor: %s: %d means for %d output planes", op, len(ep.means), g.n*g.cout))
		}
		ep.planeLen = g.howo()
	}
	for i, r := range ep.adds {
		if out := g.outShape(); !SameShape(r.shape, out) {
			panic(fmt.Sprintf("tensor: %s: added tensor %d has shape %v, the output %v", op, i, r.shape, out))
		}
	}
}
