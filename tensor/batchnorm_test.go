package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refBN is a naive float64 reference for batch normalization over the
// channel axis 1 of x.
type refBN struct {
	n, c, s int
}

func newRefBN(shape []int) refBN {
	return refBN{n: shape[0], c: shape[1], s: NumElements(shape[2:])}
}

func (r refBN) idx(i, ch, k int) int { return (i*r.c+ch)*r.s + k }

func (r refBN) stats(x []float32) (mean, variance []float64) {
	mean, variance = make([]float64, r.c), make([]float64, r.c)
	m := float64(r.n * r.s)
	for ch := range r.c {
		for i := range r.n {
			for k := range r.s {
				mean[ch] += float64(x[r.idx(i, ch, k)]) / m
			}
		}
		for i := range r.n {
			for k := range r.s {
				d := float64(x[r.idx(i, ch, k)]) - mean[ch]
				variance[ch] += d * d / m
			}
		}
	}
	return mean, variance
}

func bnParam(t *Tensor, ch int, def float64) float64 {
	if t == nil {
		return def
	}
	return float64(t.Data()[ch])
}

func (r refBN) normalize(x []float32, gamma, beta *Tensor, mean, variance []float64, eps float64) []float64 {
	y := make([]float64, len(x))
	for ch := range r.c {
		inv := 1 / math.Sqrt(variance[ch]+eps)
		for i := range r.n {
			for k := range r.s {
				j := r.idx(i, ch, k)
				y[j] = (float64(x[j])-mean[ch])*inv*bnParam(gamma, ch, 1) + bnParam(beta, ch, 0)
			}
		}
	}
	return y
}

// grad is the textbook backward pass of training-mode batch norm.
func (r refBN) grad(dy, x []float32, gamma *Tensor, eps float64) (dx, dgamma, dbeta []float64) {
	mean, variance := r.stats(x)
	m := float64(r.n * r.s)
	dx, dgamma, dbeta = make([]float64, len(x)), make([]float64, r.c), make([]float64, r.c)
	for ch := range r.c {
		inv := 1 / math.Sqrt(variance[ch]+eps)
		for i := range r.n {
			for k := range r.s {
				j := r.idx(i, ch, k)
				dbeta[ch] += float64(dy[j])
				dgamma[ch] += float64(dy[j]) * (float64(x[j]) - mean[ch]) * inv
			}
		}
		for i := range r.n {
			for k := range r.s {
				j := r.idx(i, ch, k)
				xhat := (float64(x[j]) - mean[ch]) * inv
				dx[j] = bnParam(gamma, ch, 1) * inv / m * (m*float64(dy[j]) - dbeta[ch] - xhat*dgamma[ch])
			}
		}
	}
	return dx, dgamma, dbeta
}

func TestBatchNormMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const eps = 1e-5
	for _, tc := range []struct {
		shape  []int
		affine bool
		offset float32
	}{
		{[]int{4, 3}, true, 0},
		{[]int{5, 2}, false, 0},
		{[]int{2, 3, 4, 5}, true, 0},
		{[]int{3, 4, 1, 7}, false, 0},
		{[]int{1, 2, 3, 3}, true, 0},
		{[]int{2, 3, 5}, true, 0},      // N×C×L
		{[]int{2, 3, 4, 4}, true, 100}, // large mean against the spread
		{[]int{8, 64, 9, 9}, true, 0},  // parallel over channels
		{[]int{2, 2, 1, 1}, true, 0},   // two values per channel
		{[]int{1, 3, 1, 1}, true, 0},   // one value per channel: variance 0
		// Fewer than vec.Block values per image: channels gathered.
		{[]int{8, 3, 4, 4}, true, 100},
		{[]int{16, 5, 3, 3}, false, 0},
		{[]int{32, 40, 4, 4}, true, 0},
		{[]int{9, 2, 7, 7}, true, 3},
	} {
		name := fmt.Sprintf("%v affine=%v offset=%v", tc.shape, tc.affine, tc.offset)
		r := newRefBN(tc.shape)
		x := Normal(rng, tc.offset, 1.5, tc.shape...)
		dy := denseRandn(rng, tc.shape...)
		var gamma, beta *Tensor
		if tc.affine {
			gamma, beta = Uniform(rng, 0.5, 1.5, r.c), denseRandn(rng, r.c)
		}
		mean, variance := r.stats(x.Data())

		y, s := BatchNormTrain(x, gamma, beta, eps)
		require.Equal(t, x.Shape(), y.Shape(), name)
		// Values normalized with a tiny spread lose relative precision.
		tol := 1e-5 * (1 + float64(tc.offset))
		requireCloseTo64(t, mean, s.Mean.Data(), 1e-6, name)
		requireCloseTo64(t, variance, s.Var.Data(), 1e-5, name)
		inv := make([]float64, r.c)
		for ch := range inv {
			inv[ch] = 1 / math.Sqrt(variance[ch]+eps)
		}
		requireCloseTo64(t, inv, s.InvStd.Data(), 1e-5, name)
		requireCloseTo64(t, r.normalize(x.Data(), gamma, beta, mean, variance, eps), y.Data(), tol, name)

		// Inference with explicit statistics.
		rm, rv := Normal(rng, tc.offset, 1, r.c), Uniform(rng, 0.5, 2, r.c)
		rm64, rv64 := make([]float64, r.c), make([]float64, r.c)
		for ch := range r.c {
			rm64[ch], rv64[ch] = float64(rm.Data()[ch]), float64(rv.Data()[ch])
		}
		yi := BatchNormInference(x, gamma, beta, rm, rv, eps)
		requireCloseTo64(t, r.normalize(x.Data(), gamma, beta, rm64, rv64, eps), yi.Data(), tol, name)

		wdx, wdg, wdb := r.grad(dy.Data(), x.Data(), gamma, eps)
		dx, dg, db := BatchNormGrad(dy, x, gamma, s)
		if tc.shape[0]*NumElements(tc.shape[2:]) == 1 {
			tol = 1e-3 // var 0: x̂ = 0 and dx = 0, up to the float32 mean
		}
		requireCloseTo64(t, wdx, dx.Data(), tol, name)
		requireCloseTo64(t, wdg, dg.Data(), 1e-5, name)
		requireCloseTo64(t, wdb, db.Data(), 1e-5, name)
	}
}

func TestBatchNormPanics(t *testing.T) {
	x := New(2, 4, 3, 3)
	c4 := New(4)
	stats := BatchNormStats{Mean: New(4), Var: New(4), InvStd: New(4)}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"gamma", func() { BatchNormTrain(x, New(3), nil, 1e-5) },
			"tensor: BatchNormTrain: gamma [3] does not match the 4 channels of x [2 4 3 3], want [4]"},
		{"beta", func() { BatchNormTrain(x, nil, New(4, 1), 1e-5) },
			"tensor: BatchNormTrain: beta [4 1] does not match the 4 channels of x [2 4 3 3], want [4]"},
		{"1-D", func() { BatchNormTrain(New(4), nil, nil, 1e-5) },
			"tensor: BatchNormTrain: input x [4] must have at least 2 dimensions (N×C or N×C×H×W)"},
		{"eps", func() { BatchNormTrain(x, nil, nil, -1) },
			"tensor: BatchNormTrain: eps -1 must be non-negative"},
		{"empty", func() { BatchNormTrain(New(0, 4), nil, nil, 1e-5) },
			"tensor: BatchNormTrain: x [0 4] has no values per channel"},
		{"inference mean", func() { BatchNormInference(x, c4, c4, New(5), c4, 1e-5) },
			"tensor: BatchNormInference: mean [5] does not match the 4 channels of x [2 4 3 3], want [4]"},
		{"inference variance nil", func() { BatchNormInference(x, nil, nil, c4, nil, 1e-5) },
			"tensor: BatchNormInference: variance is nil, want shape [4] for the channels of x [2 4 3 3]"},
		{"grad dy", func() { BatchNormGrad(New(2, 4, 3, 2), x, nil, stats) },
			"tensor: BatchNormGrad: dy [2 4 3 2] and x [2 4 3 3] differ in shape"},
		{"grad gamma", func() { BatchNormGrad(x, x, New(2), stats) },
			"tensor: BatchNormGrad: gamma [2] does not match the 4 channels of x [2 4 3 3], want [4]"},
		{"grad stats", func() { BatchNormGrad(x, x, nil, BatchNormStats{Mean: New(4)}) },
			"tensor: BatchNormGrad: s.InvStd is nil, want shape [4] for the channels of x [2 4 3 3]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f, tc.name)
	}
}

// TestBatchNormClampGradMaskFromInput checks that the gradient of the
// fused BN + clamp computed with the mask recomputed from x (statistics
// that carry the forward pass's constants) is bit-for-bit the one that
// reads the clamp's output y.
func TestBatchNormClampGradMaskFromInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, shape := range [][]int{{4, 5, 7, 7}, {3, 8, 16, 17}, {2, 3, 1, 5}, {9, 4, 4, 4}, {5, 3, 3, 5}} {
		x := denseRandn(rng, shape...)
		gamma, beta := denseRandn(rng, shape[1]), denseRandn(rng, shape[1])
		dy := denseRandn(rng, shape...)
		for _, b := range [][2]float32{{0, 6}, {0, float32(math.Inf(1))}, {-0.5, 0.5}} {
			y, s := BatchNormTrainClamp(x, gamma, beta, 1e-5, b[0], b[1])
			dx1, dg1, db1 := BatchNormClampGrad(dy, x, y, gamma, s, b[0], b[1])
			s.scale, s.shift = nil, nil
			dx2, dg2, db2 := BatchNormClampGrad(dy, x, y, gamma, s, b[0], b[1])
			require.Equal(t, dx2.Data(), dx1.Data(), "dx %v %v", shape, b)
			require.Equal(t, dg2.Data(), dg1.Data(), "dgamma %v %v", shape, b)
			require.Equal(t, db2.Data(), db1.Data(), "dbeta %v %v", shape, b)
		}
	}
}

// channelOf returns channel ch of x (N×C×…) as a tensor with one channel.
func channelOf(x *Tensor, ch int) *Tensor { return channelsOf(x, ch, 1) }

// TestBatchNormChannelsIndependent checks that the results of every
// channel are bit for bit those of the channel normalized alone, whatever
// the passes' grouping of channels (one at a time, groups of bnGroup read
// image after image, gathered copies) and parallel ranges.
func TestBatchNormChannelsIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	for _, shape := range [][]int{
		{3, 11, 9, 9},    // grouped, one partial group
		{4, 20, 16, 16},  // grouped, several ranges
		{2, 9, 32, 33},   // one channel at a time
		{5, 9, 4, 4},     // gathered
		{3, 17, 8, 8},    // gathered, whole blocks
		{2, 700, 10, 10}, // grouped, parallel
	} {
		c := shape[1]
		x := Normal(rng, 1, 2, shape...)
		gamma, beta := Uniform(rng, 0.5, 1.5, c), denseRandn(rng, c)
		dy := denseRandn(rng, shape...)
		y, s := BatchNormTrainClamp(x, gamma, beta, 1e-5, 0, 6)
		dx, dg, db := BatchNormClampGrad(dy, x, y, gamma, s, 0, 6)
		sy := s
		sy.scale, sy.shift = nil, nil
		dxy, dgy, dby := BatchNormClampGrad(dy, x, y, gamma, sy, 0, 6)
		dxp, dgp, dbp := BatchNormGrad(dy, x, gamma, s)
		for ch := range c {
			name := fmt.Sprintf("%v channel %d", shape, ch)
			g1, b1 := FromSlice([]float32{gamma.data[ch]}, 1), FromSlice([]float32{beta.data[ch]}, 1)
			x1, dy1 := channelOf(x, ch), channelOf(dy, ch)
			y1, s1 := BatchNormTrainClamp(x1, g1, b1, 1e-5, 0, 6)
			require.Equal(t, channelOf(y, ch).Data(), y1.Data(), "y %s", name)
			require.Equal(t, []float32{s.Mean.data[ch], s.Var.data[ch], s.InvStd.data[ch]}, []float32{s1.Mean.data[0], s1.Var.data[0], s1.InvStd.data[0]}, "stats %s", name)
			dx1, dg1, db1 := BatchNormClampGrad(dy1, x1, y1, g1, s1, 0, 6)
			require.Equal(t, channelOf(dx, ch).Data(), dx1.Data(), "dx %s", name)
			require.Equal(t, []float32{dg.data[ch], db.data[ch]}, []float32{dg1.data[0], db1.data[0]}, "dgamma, dbeta %s", name)
			s1.scale, s1.shift = nil, nil
			dx1, dg1, db1 = BatchNormClampGrad(dy1, x1, y1, g1, s1, 0, 6)
			require.Equal(t, channelOf(dxy, ch).Data(), dx1.Data(), "dx (mask from y) %s", name)
			require.Equal(t, []float32{dgy.data[ch], dby.data[ch]}, []float32{dg1.data[0], db1.data[0]}, "dgamma, dbeta (mask from y) %s", name)
			dx1, dg1, db1 = BatchNormGrad(dy1, x1, g1, s1)
			require.Equal(t, channelOf(dxp, ch).Data(), dx1.Data(), "dx (no clamp) %s", name)
			require.Equal(t, []float32{dgp.data[ch], dbp.data[ch]}, []float32{dg1.data[0], db1.data[0]}, "dgamma, dbeta (no clamp) %s", name)
		}
	}
}

// TestBatchNormStreamingStores checks that the outputs written with
// non-temporal stores (outputs of at least bnStreamBytes) are bit-for-bit
// those of the regular stores, with chunks at every alignment.
func TestBatchNormStreamingStores(t *testing.T) {
	old := bnStreamBytes
	defer func() { bnStreamBytes = old }()
	rng := rand.New(rand.NewPCG(63, 64))
	for _, shape := range [][]int{{4, 5, 7, 9}, {3, 8, 16, 17}, {2, 3, 1, 5}, {2, 4, 32, 32}, {3, 2, 4, 4}, {2, 19, 16, 16}} {
		x := denseRandn(rng, shape...)
		gamma, beta := denseRandn(rng, shape[1]), denseRandn(rng, shape[1])
		dy := denseRandn(rng, shape...)
		for _, b := range [][2]float32{{0, 6}, {0, float32(math.Inf(1))}} {
			bnStreamBytes = math.MaxInt
			y1, s1 := BatchNormTrainClamp(x, gamma, beta, 1e-5, b[0], b[1])
			dx1, dg1, db1 := BatchNormClampGrad(dy, x, y1, gamma, s1, b[0], b[1])
			bnStreamBytes = 0
			y2, s2 := BatchNormTrainClamp(x, gamma, beta, 1e-5, b[0], b[1])
			dx2, dg2, db2 := BatchNormClampGrad(dy, x, y2, gamma, s2, b[0], b[1])
			require.Equal(t, y1.Data(), y2.Data(), "y %v %v", shape, b)
			require.Equal(t, dx1.Data(), dx2.Data(), "dx %v %v", shape, b)
			require.Equal(t, dg1.Data(), dg2.Data(), "dgamma %v %v", shape, b)
			require.Equal(t, db1.Data(), db2.Data(), "dbeta %v %v", shape, b)
		}
	}
}
