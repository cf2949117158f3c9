package tensor

import (
	"fmt"
	"math"

	"github.com/autonl-go/autonl/tensor/internal/parallel"
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
}

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

// forChannels runs fn(ch) for every channel in parallel; each channel
// touches n·s elements.
func forChannels(c, perChannel int, fn func(ch int)) {
	parallel.For(c, max(1, bnGrain/max(1, perChannel)), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			fn(ch)
		}
	})
}

// normalizeChannel sets y = (x − mean)·a + b over channel ch of every
// image. Subtracting the mean first avoids the cancellation of x·a against
// a folded shift when the mean is large against the spread.
func normalizeChannel(x, y []float32, n, c, s, ch int, mean, a, b float32) {
	for i := range n {
		off := (i*c + ch) * s
		src, dst := x[off:off+s], y[off:off+s]
		for k, v := range src {
			dst[k] = (v-mean)*a + b
		}
	}
}

// BatchNormTrain normalizes x (N×C or N×C×H×W…, channel axis 1) with its
// own batch statistics, as PyTorch's batch_norm in training mode:
//
//	μ_c = (1/M) Σ x[n,c,…],  σ²_c = (1/M) Σ (x[n,c,…] − μ_c)²,  M = N·H·W,
//	y[n,c,…] = (x[n,c,…] − μ_c) / sqrt(σ²_c + eps) · γ_c + β_c.
//
// gamma and beta have shape [C]; nil means γ = 1 and β = 0. The statistics
// are accumulated in float64 (two passes) and returned in s for
// BatchNormGrad and for updating running statistics. It panics if x has
// fewer than 2 dimensions or no elements per channel, gamma or beta does
// not have shape [C], or eps is negative.
func BatchNormTrain(x, gamma, beta *Tensor, eps float32) (y *Tensor, s BatchNormStats) {
	const op = "BatchNormTrain"
	n, c, sp := bnLayout(op, x)
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "beta", beta, c, x.shape, true)
	checkEps(op, eps)
	m := n * sp
	if m == 0 && c > 0 {
		panic(fmt.Sprintf("tensor: %s: x %v has no values per channel", op, x.shape))
	}
	y = newOut(x.shape)
	s = BatchNormStats{Mean: newOut([]int{c}), Var: newOut([]int{c}), InvStd: newOut([]int{c})}
	forChannels(c, m, func(ch int) {
		var sum float64
		for i := range n {
			for _, v := range x.data[(i*c+ch)*sp : (i*c+ch+1)*sp] {
				sum += float64(v)
			}
		}
		mean := sum / float64(m)
		var ss float64
		for i := range n {
			for _, v := range x.data[(i*c+ch)*sp : (i*c+ch+1)*sp] {
				d := float64(v) - mean
				ss += d * d
			}
		}
		variance := ss / float64(m)
		inv := 1 / math.Sqrt(variance+float64(eps))
		s.Mean.data[ch], s.Var.data[ch], s.InvStd.data[ch] = float32(mean), float32(variance), float32(inv)
		a := inv * channelValue(gamma, ch, 1)
		normalizeChannel(x.data, y.data, n, c, sp, ch, float32(mean), float32(a), float32(channelValue(beta, ch, 0)))
	})
	return y, s
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
	const op = "BatchNormInference"
	n, c, sp := bnLayout(op, x)
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "beta", beta, c, x.shape, true)
	checkChannelParam(op, "mean", mean, c, x.shape, false)
	checkChannelParam(op, "variance", variance, c, x.shape, false)
	checkEps(op, eps)
	y := newOut(x.shape)
	forChannels(c, n*sp, func(ch int) {
		a := channelValue(gamma, ch, 1) / math.Sqrt(float64(variance.data[ch])+float64(eps))
		normalizeChannel(x.data, y.data, n, c, sp, ch, mean.data[ch], float32(a), float32(channelValue(beta, ch, 0)))
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
// The sums are accumulated in float64. gamma is nil for γ = 1; dgamma and
// dbeta are returned with shape [C] either way. It panics if dy and x
// differ in shape, or gamma, s.Mean or s.InvStd does not have shape [C].
func BatchNormGrad(dy, x, gamma *Tensor, s BatchNormStats) (dx, dgamma, dbeta *Tensor) {
	const op = "BatchNormGrad"
	n, c, sp := bnLayout(op, x)
	if !SameShape(dy.shape, x.shape) {
		panic(fmt.Sprintf("tensor: %s: dy %v and x %v differ in shape", op, dy.shape, x.shape))
	}
	checkChannelParam(op, "gamma", gamma, c, x.shape, true)
	checkChannelParam(op, "s.Mean", s.Mean, c, x.shape, false)
	checkChannelParam(op, "s.InvStd", s.InvStd, c, x.shape, false)
	m := float64(n * sp)
	dx = newOut(x.shape)
	dgamma, dbeta = newOut([]int{c}), newOut([]int{c})
	forChannels(c, n*sp, func(ch int) {
		mean, inv := float64(s.Mean.data[ch]), float64(s.InvStd.data[ch])
		var sdy, sdyx float64
		for i := range n {
			off := (i*c + ch) * sp
			xs, ds := x.data[off:off+sp], dy.data[off:off+sp]
			for k, v := range xs {
				d := float64(ds[k])
				sdy += d
				sdyx += d * (float64(v) - mean)
			}
		}
		dg := sdyx * inv // Σ dy·x̂
		dbeta.data[ch], dgamma.data[ch] = float32(sdy), float32(dg)
		// dx = k·(dy − dβ/M) − kx·(x − μ) with k = γ·inv and
		// kx = k·inv·dγ/M.
		k := channelValue(gamma, ch, 1) * inv
		fk, fkx := float32(k), float32(k*inv*dg/m)
		fdb, fmean := float32(sdy/m), float32(mean)
		for i := range n {
			off := (i*c + ch) * sp
			xs, ds, out := x.data[off:off+sp], dy.data[off:off+sp], dx.data[off:off+sp]
			for j, v := range xs {
				out[j] = fk*(ds[j]-fdb) - fkx*(v-fmean)
			}
		}
	})
	return dx, dgamma, dbeta
}
