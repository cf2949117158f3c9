package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConv2DFrozenMatchesFused checks that Conv2DFrozen gives what
// Conv2DFused (and, without an epilogue, Conv2D) gives from the weights it
// was frozen from, bit for bit, with 1 and 2 threads, on every path: 1×1
// products of one image and batched, 1×1 maps, im2col with one group
// (the stem's strided 3×3) and with several, and depthwise convolutions;
// with a batch-norm epilogue, Swish and an added tensor; and that changes
// to the source weights after freezing are not seen.
func TestConv2DFrozenMatchesFused(t *testing.T) {
	s1, s2, p1 := [2]int{1, 1}, [2]int{2, 2}, [2]int{1, 1}
	cases := []convCase{
		{n: 3, c: 16, h: 7, w: 7, cout: 40, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 1, c: 96, h: 14, w: 14, cout: 576, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 2, c: 600, h: 6, w: 6, cout: 30, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 4, c: 8, h: 1, w: 1, cout: 12, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 1, c: 8, h: 1, w: 1, cout: 12, kh: 1, kw: 1, stride: s1, groups: 1},
		{n: 2, c: 3, h: 23, w: 23, cout: 32, kh: 3, kw: 3, stride: s2, pad: p1, groups: 1},
		{n: 2, c: 8, h: 9, w: 9, cout: 12, kh: 3, kw: 3, stride: s1, pad: p1, groups: 4},
		{n: 2, c: 16, h: 17, w: 33, cout: 16, kh: 3, kw: 3, stride: s2, pad: p1, groups: 16},
	}
	inf := float32(math.Inf(1))
	for i, tc := range cases {
		rng := rand.New(rand.NewPCG(uint64(i), 17))
		x := randn(rng, tc.n, tc.c, tc.h, tc.w)
		w := randn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
		gamma, beta, mean := randn(rng, tc.cout), randn(rng, tc.cout), randn(rng, tc.cout)
		variance := Uniform(rng, 0.1, 2, tc.cout)
		out := Conv2DOutputShape(x.Shape(), w.Shape(), tc.params())
		r := randn(rng, out...)
		eps := func() []*ConvEpilogue {
			return []*ConvEpilogue{nil, NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, 0, 6),
				NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, -inf, inf).ThenSwish().ThenAdd(r)}
		}
		want := make([]*Tensor, 3)
		for j, ep := range eps() {
			want[j] = Conv2DFused(x, w, tc.params(), ep)
		}
		f := FreezeConvWeight(w, tc.groups)
		require.Equal(t, w.Shape(), f.Shape())
		w.Fill(1) // not seen by f
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			for j, ep := range eps() {
				got := Conv2DFrozen(x, f, tc.params(), ep)
				require.Equal(t, want[j].Shape(), got.Shape(), "%v", tc)
				require.Equal(t, want[j].Data(), got.Data(), "%v epilogue %d procs %d", tc, j, procs)
			}
			runtime.GOMAXPROCS(prev)
		}
	}
}

// TestConv2DFrozenPanics checks the precise messages of Conv2DFrozen and
// FreezeConvWeight.
func TestConv2DFrozenPanics(t *testing.T) {
	f := FreezeConvWeight(New(6, 4, 1, 1), 1)
	require.PanicsWithValue(t, "tensor: Conv2DFrozen: 2 groups, but the weight was frozen for 1", func() {
		Conv2DFrozen(New(1, 8, 5, 5), f, Conv2DConfig{Groups: 2}, nil)
	})
	require.PanicsWithValue(t, "tensor: Conv2DFrozen: epilogue of 5 channels for w [6 4 1 1] with 6 output channels", func() {
		Conv2DFrozen(New(1, 4, 5, 5), f, Conv2DConfig{}, NewBatchNormEpilogue(nil, nil, Zeros(5), Ones(5), 1e-5, 0, 6))
	})
	require.PanicsWithValue(t, "tensor: FreezeConvWeight: weight w [6 4] is not 4-D Cout×(C/groups)×kh×kw", func() {
		FreezeConvWeight(New(6, 4), 1)
	})
	require.PanicsWithValue(t, "tensor: FreezeConvWeight: negative groups -1", func() {
		FreezeConvWeight(New(6, 4, 1, 1), -1)
	})
}
