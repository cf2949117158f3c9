package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConv2DFusedMatchesUnfused checks that Conv2DFused with a batch-norm
// epilogue gives BatchNormInferenceClamp(Conv2D(…)) bit for bit, on every
// path of Conv2D: batched and single-image 1×1 products (tiles of C split
// across images), 1×1 maps (matrix-vector products), the 3×3 plane
// kernels (stride 1 and 2), the flattened-plane kernels of 9- to 16-wide
// maps, larger depthwise kernels through the padded copy and the
// channel-interleaved kernels of small maps, and im2col; and with two
// tensors added after it (ThenAdd), Add(r2, Add(r1, …)) bit for bit.
func TestConv2DFusedMatchesUnfused(t *testing.T) {
	s1, s2, p1, p2, p3 := [2]int{1, 1}, [2]int{2, 2}, [2]int{1, 1}, [2]int{2, 2}, [2]int{3, 3}
	cases := []convCase{
		{n: 3, c: 16, h: 7, w: 7, cout: 40, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 2, c: 24, h: 20, w: 30, cout: 144, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 1, c: 32, h: 14, w: 14, cout: 64, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 4, c: 8, h: 1, w: 1, cout: 12, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 3, c: 600, h: 6, w: 6, cout: 30, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 2, c: 16, h: 12, w: 32, cout: 16, kh: 3, kw: 3, stride: s1, pad: p1, groups: 16},
		{n: 2, c: 16, h: 17, w: 33, cout: 16, kh: 3, kw: 3, stride: s2, pad: p1, groups: 16},
		{n: 2, c: 12, h: 40, w: 40, cout: 12, kh: 5, kw: 5, stride: s1, pad: p2, groups: 12},
		{n: 2, c: 20, h: 7, w: 7, cout: 20, kh: 7, kw: 7, stride: s1, pad: p3, groups: 20},
		{n: 2, c: 18, h: 14, w: 14, cout: 18, kh: 3, kw: 3, stride: s1, pad: p1, groups: 18},
		{n: 2, c: 5, h: 9, w: 15, cout: 5, kh: 5, kw: 5, stride: s1, pad: p2, groups: 5},
		{n: 2, c: 13, h: 14, w: 14, cout: 13, kh: 3, kw: 3, stride: s2, pad: p1, groups: 13},
		{n: 2, c: 3, h: 23, w: 23, cout: 8, kh: 3, kw: 3, stride: s2, pad: p1, groups: 1},
		{n: 2, c: 8, h: 9, w: 9, cout: 12, kh: 1, kw: 1, stride: s1, groups: 4},
	}
	inf := float32(math.Inf(1))
	for i, tc := range cases {
		for _, clamp := range [][2]float32{{-inf, inf}, {0, inf}, {0, 6}} {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			x := randn(rng, tc.n, tc.c, tc.h, tc.w)
			w := randn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
			gamma, beta, mean := randn(rng, tc.cout), randn(rng, tc.cout), randn(rng, tc.cout)
			variance := Uniform(rng, 0.1, 2, tc.cout)
			const eps = 1e-5
			want := BatchNormInferenceClamp(Conv2D(x, w, tc.params()), gamma, beta, mean, variance, eps, clamp[0], clamp[1])
			ep := NewBatchNormEpilogue(gamma, beta, mean, variance, eps, clamp[0], clamp[1])
			got := Conv2DFused(x, w, tc.params(), ep)
			require.Equal(t, want.Shape(), got.Shape(), "%v", tc)
			require.Equal(t, want.Data(), got.Data(), "%v clamp %v", tc, clamp)

			r1, r2 := randn(rng, want.Shape()...), randn(rng, want.Shape()...)
			ep = NewBatchNormEpilogue(gamma, beta, mean, variance, eps, clamp[0], clamp[1]).ThenAdd(r1).ThenAdd(r2)
			got = Conv2DFused(x, w, tc.params(), ep)
			require.Equal(t, Add(r2, Add(r1, want)).Data(), got.Data(), "%v clamp %v, added", tc, clamp)
		}
	}
}

// TestConv2DFusedSwish checks the Swish epilogue against batch norm
// followed by Swish (computed in float64) within float32 rounding.
func TestConv2DFusedSwish(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	inf := float32(math.Inf(1))
	for _, tc := range []convCase{
		{n: 2, c: 24, h: 20, w: 30, cout: 144, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 1},
		{n: 2, c: 16, h: 17, w: 33, cout: 16, kh: 5, kw: 5, stride: [2]int{2, 2}, pad: [2]int{2, 2}, groups: 16},
	} {
		x := randn(rng, tc.n, tc.c, tc.h, tc.w)
		w := randn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
		gamma, beta, mean := randn(rng, tc.cout), randn(rng, tc.cout), randn(rng, tc.cout)
		variance := Uniform(rng, 0.1, 2, tc.cout)
		want := Swish(BatchNormInference(Conv2D(x, w, tc.params()), gamma, beta, mean, variance, 1e-5))
		got := Conv2DFused(x, w, tc.params(), NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, -inf, inf).ThenSwish())
		for i, v := range want.Data() {
			require.InDelta(t, v, got.Data()[i], 1e-6*max(1, math.Abs(float64(v))), "%v element %d", tc, i)
		}
		r := randn(rng, want.Shape()...)
		added := Conv2DFused(x, w, tc.params(), NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, -inf, inf).ThenSwish().ThenAdd(r))
		require.Equal(t, Add(r, got).Data(), added.Data(), "%v, added after Swish", tc)
	}
}

// TestConv2DFusedMeans checks that an epilogue with means (ThenMeans)
// stores GlobalAvgPool2D of the output bit for bit, after Swish, on every
// depthwise path (3×3 plane kernels of stride 1 and 2, the flattened-plane
// kernels, the padded copy, the channel-interleaved kernels of small maps,
// a channel multiplier of 2), frozen and not, with GOMAXPROCS 1 and 2; and
// that the output is that of the epilogue without means.
func TestConv2DFusedMeans(t *testing.T) {
	s1, s2, p1, p2, p3 := [2]int{1, 1}, [2]int{2, 2}, [2]int{1, 1}, [2]int{2, 2}, [2]int{3, 3}
	inf := float32(math.Inf(1))
	for i, tc := range []convCase{
		{n: 2, c: 16, h: 12, w: 32, cout: 16, kh: 3, kw: 3, stride: s1, pad: p1, groups: 16},
		{n: 2, c: 16, h: 17, w: 33, cout: 16, kh: 3, kw: 3, stride: s2, pad: p1, groups: 16},
		{n: 2, c: 12, h: 40, w: 40, cout: 12, kh: 5, kw: 5, stride: s1, pad: p2, groups: 12},
		{n: 2, c: 20, h: 7, w: 7, cout: 20, kh: 7, kw: 7, stride: s1, pad: p3, groups: 20},
		{n: 2, c: 18, h: 14, w: 14, cout: 18, kh: 3, kw: 3, stride: s1, pad: p1, groups: 18},
		{n: 2, c: 5, h: 9, w: 15, cout: 5, kh: 5, kw: 5, stride: s1, pad: p2, groups: 5},
		{n: 2, c: 13, h: 14, w: 14, cout: 13, kh: 3, kw: 3, stride: s2, pad: p1, groups: 13},
		{n: 3, c: 40, h: 7, w: 7, cout: 40, kh: 5, kw: 5, stride: s1, pad: p2, groups: 40},
		{n: 1, c: 6, h: 10, w: 10, cout: 12, kh: 3, kw: 3, stride: s1, pad: p1, groups: 6},
	} {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		x := randn(rng, tc.n, tc.c, tc.h, tc.w)
		w := randn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
		gamma, beta, mean := randn(rng, tc.cout), randn(rng, tc.cout), randn(rng, tc.cout)
		variance := Uniform(rng, 0.1, 2, tc.cout)
		ep := func() *ConvEpilogue {
			return NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, -inf, inf).ThenSwish()
		}
		want := Conv2DFused(x, w, tc.params(), ep())
		wantMeans := GlobalAvgPool2D(want)
		frozen := FreezeConvWeight(w, tc.groups)
		for _, procs := range []int{1, 2} {
			func() {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				means := make([]float32, tc.n*tc.cout)
				got := Conv2DFused(x, w, tc.params(), ep().ThenMeans(means))
				require.Equal(t, want.Data(), got.Data(), "%v", tc)
				require.Equal(t, wantMeans.Data(), means, "%v, GOMAXPROCS %d", tc, procs)
				clear(means)
				got = Conv2DFrozen(x, frozen, tc.params(), ep().ThenMeans(means))
				require.Equal(t, want.Data(), got.Data(), "%v frozen", tc)
				require.Equal(t, wantMeans.Data(), means, "%v frozen, GOMAXPROCS %d", tc, procs)
			}()
		}
	}
	x, w := New(2, 4, 5, 5), New(4, 1, 3, 3)
	ep := func(n int) *ConvEpilogue {
		return NewBatchNormEpilogue(nil, nil, Zeros(4), Ones(4), 1e-5, 0, 6).ThenMeans(make([]float32, n))
	}
	require.PanicsWithValue(t, "tensor: Conv2DFused: epilogue with means for w [4 4 1 1], not a depthwise convolution",
		func() { Conv2DFused(x, New(4, 4, 1, 1), Conv2DConfig{}, ep(8)) })
	require.PanicsWithValue(t, "tensor: Conv2DFused: 7 means for 8 output planes",
		func() { Conv2DFused(x, w, Conv2DConfig{Padding: [2]int{1, 1}, Groups: 4}, ep(7)) })
}

func TestConv2DFusedPanics(t *testing.T) {
	x, w := New(1, 4, 5, 5), New(6, 4, 1, 1)
	ones, zeros := Ones(5), Zeros(5)
	ep := NewBatchNormEpilogue(nil, nil, zeros, ones, 1e-5, 0, 6)
	require.PanicsWithValue(t, "tensor: Conv2DFused: epilogue of 5 channels for w [6 4 1 1] with 6 output channels",
		func() { Conv2DFused(x, w, Conv2DConfig{}, ep) })
	require.PanicsWithValue(t, "tensor: Conv2DFused: added tensor 0 has shape [1 6 5 4], the output [1 6 5 5]",
		func() {
			Conv2DFused(x, w, Conv2DConfig{}, NewBatchNormEpilogue(nil, nil, Zeros(6), Ones(6), 1e-5, 0, 6).ThenAdd(New(1, 6, 5, 4)))
		})
	require.Panics(t, func() { NewBatchNormEpilogue(nil, nil, zeros, Ones(4), 1e-5, 0, 6) })
	require.Panics(t, func() { NewBatchNormEpilogue(nil, nil, zeros, ones, 1e-5, 6, 0) })
	require.Equal(t, Conv2D(x, w, Conv2DConfig{}).Data(), Conv2DFused(x, w, Conv2DConfig{}, nil).Data())
}

// TestBatchNormEpilogueCache checks that the cache returns what
// NewBatchNormEpilogue makes for the arguments of each call, after changes
// to any of them in place, that the epilogues it returns are independent
// (ThenSwish and ThenAdd on one reach no other), and that it reuses the
// parameters when nothing changed.
func TestBatchNormEpilogueCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const c = 10
	gamma, beta := Normal(rng, 1, 0.5, c), Normal(rng, 0, 1, c)
	mean, variance := Normal(rng, 0, 1, c), Uniform(rng, 0.5, 2, c)
	var cache BatchNormEpilogueCache
	type args struct {
		gamma, beta   *Tensor
		eps, lo, hi   float32
		change        func()
		shouldBeReuse bool
	}
	inf := float32(math.Inf(1))
	steps := []args{
		{gamma, beta, 1e-5, 0, 6, nil, false},
		{gamma, beta, 1e-5, 0, 6, nil, true},
		{gamma, beta, 1e-5, 0, 6, func() { mean.Data()[1] = 2 }, false},
		{gamma, beta, 1e-5, 0, 6, func() { variance.Data()[9] = 0.25 }, false},
		{gamma, beta, 1e-5, 0, 6, func() { gamma.Data()[0] = 3 }, false},
		{gamma, beta, 1e-5, 0, 6, func() { beta.Data()[4] = -1 }, false},
		{gamma, beta, 1e-3, 0, 6, nil, false},
		{gamma, beta, 1e-3, -inf, inf, nil, false},
		{nil, beta, 1e-3, -inf, inf, nil, false},
		{nil, nil, 1e-3, -inf, inf, nil, false},
		{beta, nil, 1e-3, -inf, inf, nil, false}, // the same values, in another role
		{beta, nil, 1e-3, -inf, inf, nil, true},
	}
	var last *ConvEpilogue
	for i, s := range steps {
		if s.change != nil {
			s.change()
		}
		got := cache.Epilogue(s.gamma, s.beta, mean, variance, s.eps, s.lo, s.hi)
		want := NewBatchNormEpilogue(s.gamma, s.beta, mean, variance, s.eps, s.lo, s.hi)
		require.Equal(t, want, got, "step %d", i)
		if last != nil {
			require.Equal(t, s.shouldBeReuse, &last.a[0] == &got.a[0], "step %d: reuse", i)
		}
		got.ThenSwish().ThenAdd(New(1, c))
		last = got
	}
	again := cache.Epilogue(beta, nil, mean, variance, 1e-3, -inf, inf)
	require.False(t, again.swish, "ThenSwish on an earlier epilogue")
	require.Empty(t, again.adds, "ThenAdd on an earlier epilogue")

	// Concurrent callers with two sets of parameters (go test -race).
	want := [2]*ConvEpilogue{NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, 0, 6), NewBatchNormEpilogue(nil, nil, mean, variance, 1e-5, 0, 6)}
	var wg sync.WaitGroup
	got := make([]*ConvEpilogue, 16)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g%2 == 0 {
				got[g] = cache.Epilogue(gamma, beta, mean, variance, 1e-5, 0, 6)
			} else {
				got[g] = cache.Epilogue(nil, nil, mean, variance, 1e-5, 0, 6)
			}
			got[g].ThenSwish()
		}()
	}
	wg.Wait()
	for g, e := range got {
		w := *want[g%2]
		w.swish = true
		require.Equal(t, &w, e, "goroutine %d", g)
	}
}
