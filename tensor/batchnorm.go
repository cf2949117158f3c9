package tensor

import (
	"fmt"
	"math"

	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/tensor/internal/vec"
)

// BatchNormStats holds the per-channel batch statistics computed by
// BatchNormTrain, each of shape [C].
type BatchNormStats struct {
	// Mean is the batch mean of each channel.
	Mean *Tensor
	// Var is the biased batch variance (divided by the number of values
	// per channel), the value PyTorch folds into its running variance
	// after multiplying by M/(M−1).
	Var *Tensor
	// InvStd is 1/sqrt(Var + eps).
	InvStd *Tensor

	// scale and shift are the float32 a_c and b_c with which
	// BatchNormTrainClamp normalized channel c, (x − Mean_c)·a_c + b_c;
	// BatchNormClampGrad recomputes the clamp's mask from them.
	scale, shift []float32
}

// bnStreamBytes is the output size from which batch norm writes its
// output (y forward, dx backward, when not gathered) with non-temporal
// stores (vec.NormalizeStream, vec.BNGradMaskedXStream): such outputs do
// not stay in the caches until they are read, and streaming them saves
// reading their lines before writing them. It is a variable for the tests.
var bnStreamBytes = 8 << 20

// bnGrain is the minimum number of elements per range of the parallel
// loops over channels.
const bnGrain = 1 << 14

// bnLayout validates x for batch normalization: at least 2-D with the
// channel axis 1. It returns the batch size n, the channels c and the
// number s of elements per image and channel (H·W, or 1 for N×C).
func bnLayout(op string, x *Tensor) (n, c, s int) {
	if len(x.shape) < 2 {
		panic(fmt.Sprintf("tensor: %s: input x %v must have at least 2 dimensions (N×C or N×C×H×W)", op, x.shape))
	}
	return x.shape[0], x.shape[1], NumElements(x.shape[2:])
}

// checkChannelParam panics unless t is nil (if allowed) or has shape [c].
func checkChannelParam(op, name string, t *Tensor, c int, xShape []int, nilOK bool) {
	if t == nil {
		if !nilOK {
			panic(fmt.Sprintf("tensor: %s: %s is nil, want shape [%d] for the channels of x %v", op, name, c, xShape))
		}
		return
	}
	if len(t.shape) != 1 || t.shape[0] != c {
		panic(fmt.Sprintf("tensor: %s: %s %v does not match the %d channels of x %v, want [%d]", op, name, t.shape, c, xShape, c))
	}
}

func checkEps(op string, eps float32) {
	if !(eps >= 0) {
		panic(fmt.Sprintf("tensor: %s: eps %g must be non-negative", op, eps))
	}
}

// channelValue returns t[ch], or def if t is nil.
func channelValue(t *Tensor, ch int, def float64) float64 {
	if t == nil {
		return def
	}
	return float64(t.data[ch])
}

// forChannels runs fn(lo, hi) over ranges of channels in parallel; each
// channel touches perChannel elements, and a range holds at least
// minGrain channels (except the last).
func forChannels(c, perChannel, minGrain int, fn func(lo, hi int)) {
	parallel.For(c, max(minGrain, bnGrain/max(1, perChannel)), fn)
}

// bnGroup is the number of channels whose passes run together, image
// after image, on maps of vec.Block to bnGroupBelow values (see
// bnGrouped): each image's part of a group is one run of memory.
const bnGroup = 8

// bnGroupBelow is the number of values per image and channel (a 4 KiB
// page) from which a channel's part of an image is a long enough run of
// memory by itself, and channels are processed one at a time.
const bnGroupBelow = 1024

// bnGrouped reports whether the passes over channels of s values per image
// run on groups of bnGroup channels. Each channel's values are still
// visited in the same order, so the results are the same either way.
func bnGrouped(s int) bool { return s > vec.Block && s < bnGroupBelow }

// bnMinGrain returns the minimum number of channels of a parallel range
// of the batch norm passes over maps of s values.
func bnMinGrain(s int) int {
	if bnGrouped(s) {
		return bnGroup
	}
	return 1
}

// bnGather reports whether the passes over the channels of n images of s
// values each run on contiguous copies of the channels (gatherChannels):
// with s at most vec.Block, reading a channel image after image would
// jump between short runs of memory that the hardware prefetchers do not
// follow. Copying a range of channels reads each image's part in one
// run. The sums still run image by image, so the results are those of the
// ungathered passes bit for bit (on maps under vec.Block values, package
// vec adds them one at a time in float64).
func bnGather(n, s int) bool { return s <= vec.Block && n > 1 && n*s >= vec.Block }

// gatherChannels copies channels [lo, hi) of the n images of src (c
// channels of s values each) to dst, channel after channel and, within a
// channel, image after image: channel ch is dst[(ch−lo)·n·s:][:n·s]. It
// reads src in order, image after image.
func gatherChannels(dst, src []float32, n, c, s, lo, hi int) {
	m := n * s
	for i := range n {
		row := src[(i*c+lo)*s : (i*c+hi)*s]
		for k := range hi - lo {
			copy(dst[k*m+i*s:k*m+(i+1)*s], row[k*s:])
		}
	}
}

// scatterChannels is the inverse of gatherChannels: it copies src, laid
// out as gatherChannels leaves channels [lo, hi), to their places in dst.
func scatterChannels(dst, src []float32, n, c, s, lo, hi int) {
	m := n * s
	for i := range n {
		row := dst[(i*c+lo)*s : (i*c+hi)*s]
		for k := range hi - lo {
			copy(row[k*s:(k+1)*s], src[k*m+i*s:])
		}
	}
}

// newStats returns statistics for c channels in one allocation. They stay
// out of the buffer pool: a graph keeps them until it is dropped.
func newStats(c int) BatchNormStats {
	b := make([]float32, 5*c)
	return BatchNormStats{
		Mean:   &Tensor{shape: []int{c}, data: b[:c:c]},
		Var:    &Tensor{shape: []int{c}, data: b[c : 2*c : 2*c]},
		InvStd: &Tensor{shape: []int{c}, data: b[2*c : 3*c : 3*c]},
		scale:  b[3*c : 4*c : 4*c],
		shift:  b[4*c:],
	}
}

var (
	negInf = float32(math.Inf(-1))
	posInf = float32(math.Inf(1))
)

// BatchNormTrain normalizes x (N×C or N×C×H×W…, channel axis 1) with its
// own batch statistics, as PyTorch's batch_norm in training mode:
//
//	μ_c = (1/M) Σ x[n,c,…],  σ²_c = (1/M) Σ (x[n,c,…] − μ_c)²,  M = N·H·W,
//	y[n,c,…] = (x[n,c,…] − μ_c) / sqrt(σ²_c + eps) · γ_c + β_c.
//
// gamma and beta have shape [C]; nil means γ = 1 and β = 0. The statistics
// are accumulated in one pass, as sums of x − K and (x − K)² for K the
// channel's first element, in float64 from float32 partial sums over short
// blocks (see package vec; the blocks run across images when an image has
// at most vec.Block values per channel), and returned in s for BatchNormGrad
// and for updating running statistics. It panics if x has fewer than 2
// dimensions or no elements per channel, gamma or beta does not have shape
// [C], or eps is negative.
func BatchNormTrain(x, gamma, beta *Tensor, eps float32) (y *Tensor, s BatchNormStats) {
	return batchNormTrain("BatchNormTrain", x, gamma, beta, eps, negInf, posInf)
}

// BatchNormTrainClamp is BatchNormTrain followed by a clamp of the output
// to [lo, hi], min(max(y, lo), hi), in the same pass: with lo = 0 and
// hi = +Inf it is BN followed by ReLU, with hi = 6 by ReLU6. A NaN stays
// NaN. Its gradient is BatchNormClampGrad. It panics as BatchNormTrain
// does, and if lo > hi.
func BatchNormTrainClamp(x, gamma, beta *Tensor, eps, lo, hi float32) (y *Tensor, s BatchNormStats) {
	checkBounds("BatchNormTrainClamp", lo, hi)
	return batchNormTrain("BatchNormTrainClamp", x, gamma, beta, eps, lo, hi)
}

func checkBounds(op string, lo, hi float32) {
	if !(lo <= hi) {
		panic(fmt.Sprintf("tensor: %s: lower bound %v exceeds upper bound %v", op, lo, hi))
	}
}

func batchNormTrain(op string, x, gamma, beta *Tensor, eps, lo, hi float32) (y *Tensor, s BatchNormStats) {
	n, c, sp := bnLayout(op, x)
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "beta", beta, c, x.shape, true)
	checkEps(op, eps)
	m := n * sp
	if m == 0 && c > 0 {
		panic(fmt.Sprintf("tensor: %s: x %v has no values per channel", op, x.shape))
	}
	y = newOutUninit(x.shape)
	s = newStats(c)
	gather := bnGather(n, sp)
	norm := vec.Normalize
	if 4*len(y.data) >= bnStreamBytes {
		norm = vec.NormalizeStream
	}
	// finish sets the statistics and constants of channel ch from its sums.
	finish := func(ch int, acc *vec.Acc) {
		shift := x.data[ch*sp]
		s1, s2 := acc.Totals()
		d := s1 / float64(m) // mean − shift
		variance := max(s2/float64(m)-d*d, 0)
		mean := float64(shift) + d
		inv := 1 / math.Sqrt(variance+float64(eps))
		s.Mean.data[ch], s.Var.data[ch], s.InvStd.data[ch] = float32(mean), float32(variance), float32(inv)
		s.scale[ch], s.shift[ch] = float32(inv*channelValue(gamma, ch, 1)), float32(channelValue(beta, ch, 0))
	}
	forChannels(c, m, bnMinGrain(sp), func(c0, c1 int) {
		if gather {
			// Channels [c0, c1) of x gathered, normalized in place and
			// scattered.
			g := getScratch((c1 - c0) * m)
			gatherChannels(g, x.data, n, c, sp, c0, c1)
			for ch := c0; ch < c1; ch++ {
				gc := g[(ch-c0)*m : (ch-c0+1)*m]
				var acc vec.Acc
				for i := range n { // image by image, as ungathered
					vec.Sums(&acc, gc[i*sp:(i+1)*sp], x.data[ch*sp])
				}
				finish(ch, &acc)
				vec.Normalize(gc, gc, s.Mean.data[ch], s.scale[ch], s.shift[ch], lo, hi)
			}
			scatterChannels(y.data, g, n, c, sp, c0, c1)
			putScratch(g)
			return
		}
		// Groups of at most bnGroup channels, image after image.
		// Subtracting the mean before scaling avoids the cancellation of
		// x·a against a folded shift when the mean is large against the
		// spread.
		for g0 := c0; g0 < c1; g0 += bnGroup {
			g1 := min(g0+bnGroup, c1)
			var accs [bnGroup]vec.Acc
			for i := range n {
				for ch := g0; ch < g1; ch++ {
					vec.Sums(&accs[ch-g0], x.data[(i*c+ch)*sp:(i*c+ch+1)*sp], x.data[ch*sp])
				}
			}
			for ch := g0; ch < g1; ch++ {
				finish(ch, &accs[ch-g0])
			}
			for i := range n {
				for ch := g0; ch < g1; ch++ {
					off := (i*c + ch) * sp
					norm(y.data[off:off+sp], x.data[off:off+sp], s.Mean.data[ch], s.scale[ch], s.shift[ch], lo, hi)
				}
			}
		}
	})
	return y, s
}

// normalizeChannel sets y = clamp((x − mean)·a + b, lo, hi) over channel
// ch of every image (see batchNormTrain for the order of operations).
func normalizeChannel(x, y []float32, n, c, s, ch int, mean, a, b, lo, hi float32) {
	for i := range n {
		off := (i*c + ch) * s
		vec.Normalize(y[off:off+s], x[off:off+s], mean, a, b, lo, hi)
	}
}

// BatchNormInference normalizes x (N×C or N×C×H×W…, channel axis 1) with
// given statistics, as PyTorch's batch_norm in evaluation mode:
//
//	y[n,c,…] = (x[n,c,…] − mean_c) / sqrt(variance_c + eps) · γ_c + β_c,
//
// computed as (x − mean_c)·a_c + β_c with a_c formed in float64. mean and
// variance have shape [C]; gamma and beta have shape [C] or are nil (γ = 1,
// β = 0). It panics if x has fewer than 2 dimensions, a parameter does not
// have shape [C], or eps is negative.
func BatchNormInference(x, gamma, beta, mean, variance *Tensor, eps float32) *Tensor {
	return batchNormInference("BatchNormInference", x, gamma, beta, mean, variance, eps, negInf, posInf)
}

// BatchNormInferenceClamp is BatchNormInference followed by a clamp of the
// output to [lo, hi] in the same pass (see BatchNormTrainClamp). It panics
// as BatchNormInference does, and if lo > hi.
func BatchNormInferenceClamp(x, gamma, beta, mean, variance *Tensor, eps, lo, hi float32) *Tensor {
	checkBounds("BatchNormInferenceClamp", lo, hi)
	return batchNormInference("BatchNormInferenceClamp", x, gamma, beta, mean, variance, eps, lo, hi)
}

func batchNormInference(op string, x, gamma, beta, mean, variance *Tensor, eps, lo, hi float32) *Tensor {
	n, c, sp := bnLayout(op, x)
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "beta", beta, c, x.shape, true)
	checkChannelParam(op, "mean", mean, c, x.shape, false)
	checkChannelParam(op, "variance", variance, c, x.shape, false)
	checkEps(op, eps)
	y := newOutUninit(x.shape)
	forChannels(c, n*sp, 1, func(c0, c1 int) {
		for ch := c0; ch < c1; ch++ {
			a := channelValue(gamma, ch, 1) / math.Sqrt(float64(variance.data[ch])+float64(eps))
			normalizeChannel(x.data, y.data, n, c, sp, ch, mean.data[ch], float32(a), float32(channelValue(beta, ch, 0)), lo, hi)
		}
	})
	return y
}

// BatchNormGrad returns the gradients of y = BatchNormTrain(x, gamma, beta,
// eps) (with statistics s) given dy = ∂L/∂y, with x̂ = (x − μ_c)·InvStd_c
// and M = N·H·W:
//
//	dβ_c = Σ dy[n,c,…],  dγ_c = Σ dy[n,c,…]·x̂[n,c,…],
//	dx[n,c,…] = γ_c·InvStd_c · (dy[n,c,…] − dβ_c/M − x̂[n,c,…]·dγ_c/M).
//
// The sums are accumulated in float64 from float32 partial sums over short
// blocks, with x̂ formed from x − μ_c in float32. gamma is nil for γ = 1;
// dgamma and dbeta are returned with shape [C] either way. It panics if dy
// and x differ in shape, or gamma, s.Mean or s.InvStd does not have shape
// [C].
func BatchNormGrad(dy, x, gamma *Tensor, s BatchNormStats) (dx, dgamma, dbeta *Tensor) {
	return batchNormGrad("BatchNormGrad", dy, x, nil, gamma, s, 0, 0)
}

// BatchNormClampGrad returns the gradients of y = BatchNormTrainClamp(x,
// gamma, beta, eps, lo, hi) (with statistics s), given y and dy = ∂L/∂y:
// BatchNormGrad with dy replaced by 0 wherever y is not strictly inside
// (lo, hi) — the subgradient of PyTorch's ReLU and ReLU6, 0 at the kinks.
// When s comes from BatchNormTrainClamp, which records its normalization
// constants in it, the mask is recomputed from x, exactly, and y is not
// read. It panics as BatchNormGrad does, and if y and x differ in shape.
func BatchNormClampGrad(dy, x, y, gamma *Tensor, s BatchNormStats, lo, hi float32) (dx, dgamma, dbeta *Tensor) {
	const op = "BatchNormClampGrad"
	if !SameShape(y.shape, x.shape) {
		panic(fmt.Sprintf("tensor: %s: y %v and x %v differ in shape", op, y.shape, x.shape))
	}
	return batchNormGrad(op, dy, x, y, gamma, s, lo, hi)
}

func batchNormGrad(op string, dy, x, y, gamma *Tensor, s BatchNormStats, lo, hi float32) (dx, dgamma, dbeta *Tensor) {
	n, c, sp := bnLayout(op, x)
	if !SameShape(dy.shape, x.shape) {
		panic(fmt.Sprintf("tensor: %s: dy %v and x %v differ in shape", op, dy.shape, x.shape))
	}
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "s.Mean", s.Mean, c, x.shape, false)
	checkChannelParam(op, "s.InvStd", s.InvStd, c, x.shape, false)
	m := float64(n * sp)
	dx = newOutUninit(x.shape)
	dgamma, dbeta = newOut([]int{c}), newOut([]int{c})
	fromX := y != nil && s.scale != nil
	mi := n * sp
	gather, ng := bnGather(n, sp), 2 // ng: tensors gathered, dy, x (and y)
	if y != nil && !fromX {
		ng = 3
	}
	// affine returns the constants of channel ch's clamp mask.
	affine := func(ch int) vec.Affine {
		f := vec.Affine{Mean: s.Mean.data[ch], Lo: lo, Hi: hi}
		if fromX {
			f.A, f.B = s.scale[ch], s.shift[ch]
		}
		return f
	}
	// dots adds channel ch's sums over a slice of dy, x and y (nil unless
	// the mask reads y) to acc.
	dots := func(acc *vec.Acc, dy, x, y []float32, f vec.Affine) {
		switch {
		case fromX:
			vec.DotsMaskedX(acc, dy, x, f)
		case y != nil:
			vec.DotsMasked(acc, dy, x, y, f.Mean, lo, hi)
		default:
			vec.Dots(acc, dy, x, f.Mean)
		}
	}
	// finish sets dβ and dγ of channel ch from its sums and returns the
	// constants of its input gradient: dx = k·(dy − dβ/M) − kx·(x − μ)
	// with k = γ·inv and kx = k·inv·dγ/M.
	finish := func(ch int, acc *vec.Acc) (k, db, kx float32) {
		inv := float64(s.InvStd.data[ch])
		sdy, sdyx := acc.Totals()
		dg := sdyx * inv // Σ dy·x̂
		dbeta.data[ch], dgamma.data[ch] = float32(sdy), float32(dg)
		k64 := channelValue(gamma, ch, 1) * inv
		return float32(k64), float32(sdy / m), float32(k64 * inv * dg / m)
	}
	gradX := vec.BNGradMaskedX
	if !gather && 4*len(dx.data) >= bnStreamBytes {
		gradX = vec.BNGradMaskedXStream
	}
	grad := func(dx, dy, x, y []float32, k, db, kx float32, f vec.Affine) {
		switch {
		case fromX:
			gradX(dx, dy, x, k, db, kx, f)
		case y != nil:
			vec.BNGradMasked(dx, dy, x, y, f.Mean, k, db, kx, lo, hi)
		default:
			vec.BNGrad(dx, dy, x, f.Mean, k, db, kx)
		}
	}
	forChannels(c, mi, bnMinGrain(sp), func(c0, c1 int) {
		if gather {
			// Channels [c0, c1) of dy, x and y gathered: gathered channel
			// k of tensor t is g[(t·(c1−c0)+k)·mi:][:mi]; dx is computed
			// in place of dy and scattered.
			g := getScratch(ng * (c1 - c0) * mi)
			gatherChannels(g, dy.data, n, c, sp, c0, c1)
			gatherChannels(g[(c1-c0)*mi:], x.data, n, c, sp, c0, c1)
			if ng == 3 {
				gatherChannels(g[2*(c1-c0)*mi:], y.data, n, c, sp, c0, c1)
			}
			at := func(t, ch int) []float32 { return g[(t*(c1-c0)+ch-c0)*mi : (t*(c1-c0)+ch-c0+1)*mi] }
			for ch := c0; ch < c1; ch++ {
				gdy, gx := at(0, ch), at(1, ch)
				var gy []float32
				if ng == 3 {
					gy = at(2, ch)
				}
				f := affine(ch)
				var acc vec.Acc
				for i := range n { // image by image, as ungathered
					var gyi []float32
					if gy != nil {
						gyi = gy[i*sp : (i+1)*sp]
					}
					dots(&acc, gdy[i*sp:(i+1)*sp], gx[i*sp:(i+1)*sp], gyi, f)
				}
				k, db, kx := finish(ch, &acc)
				grad(gdy, gdy, gx, gy, k, db, kx, f)
			}
			scatterChannels(dx.data, g, n, c, sp, c0, c1)
			putScratch(g)
			return
		}
		// Groups of at most bnGroup channels, image after image.
		for g0 := c0; g0 < c1; g0 += bnGroup {
			g1 := min(g0+bnGroup, c1)
			var accs [bnGroup]vec.Acc
			var fs [bnGroup]vec.Affine
			var ks [bnGroup][3]float32
			for ch := g0; ch < g1; ch++ {
				fs[ch-g0] = affine(ch)
			}
			slices := func(i, ch int) (dyi, xi, yi []float32) {
				off := (i*c + ch) * sp
				if y != nil {
					yi = y.data[off : off+sp]
				}
				return dy.data[off : off+sp], x.data[off : off+sp], yi
			}
			for i := range n {
				for ch := g0; ch < g1; ch++ {
					dyi, xi, yi := slices(i, ch)
					dots(&accs[ch-g0], dyi, xi, yi, fs[ch-g0])
				}
			}
			for ch := g0; ch < g1; ch++ {
				k, db, kx := finish(ch, &accs[ch-g0])
				ks[ch-g0] = [3]float32{k, db, kx}
			}
			for i := range n {
				for ch := g0; ch < g1; ch++ {
					dyi, xi, yi := slices(i, ch)
					off := (i*c + ch) * sp
					kc := ks[ch-g0]
					grad(dx.data[off:off+sp], dyi, xi, yi, kc[0], kc[1], kc[2], fs[ch-g0])
				}
			}
		}
	})
	return dx, dgamma, dbeta
}
