package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDepthwiseMatchesReference checks the depthwise kernels (forward,
// input and weight gradients) against the naive reference over map widths
// below one vector, between vectors and at whole vectors (both output
// orientations of the kernels), kernels 3, 5 and 7 at strides 1 and 2,
// padding none, half and asymmetric, dilation, and a channel multiplier.
func TestDepthwiseMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var cases []convCase
	for _, hw := range [][2]int{{1, 1}, {3, 5}, {7, 7}, {6, 9}, {14, 14}, {5, 16}, {17, 8}, {9, 23}, {4, 40}} {
		for _, k := range []int{3, 5, 7} {
			for _, s := range []int{1, 2} {
				for _, pad := range [][2]int{{k / 2, k / 2}, {0, 0}, {1, k - 1}} {
					cases = append(cases, convCase{n: 2, c: 3, h: hw[0], w: hw[1], cout: 3, kh: k, kw: k,
						stride: [2]int{s, s}, pad: pad, dil: [2]int{1, 1}, groups: 3})
				}
			}
		}
	}
	cases = append(cases,
		convCase{n: 2, c: 2, h: 10, w: 13, cout: 4, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 2},
		convCase{n: 1, c: 2, h: 12, w: 19, cout: 6, kh: 5, kw: 3, stride: [2]int{2, 3}, pad: [2]int{2, 1}, dil: [2]int{1, 1}, groups: 2},
		convCase{n: 2, c: 2, h: 15, w: 21, cout: 2, kh: 3, kw: 5, stride: [2]int{1, 2}, pad: [2]int{2, 3}, dil: [2]int{2, 2}, groups: 2},
		convCase{n: 1, c: 3, h: 8, w: 8, cout: 3, kh: 3, kw: 3, stride: [2]int{3, 3}, pad: [2]int{4, 4}, dil: [2]int{1, 1}, groups: 3},
	)
	require.GreaterOrEqual(t, checkConvCases(t, rng, cases, nil), 120, "cases checked")
}

// TestDepthwiseInterleavedMatchesReference checks the kernels that
// interleave channels across lanes (small maps, see dwInterleaved)
// with channel counts that fill several groups of lanes and leave a
// partial one, strides 1 to 3 (the polyphase input gradient), dilation and
// uneven padding.
func TestDepthwiseInterleavedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var cases []convCase
	for _, c := range []int{8, 11, 19} {
		for _, hw := range [][2]int{{7, 7}, {14, 14}, {5, 9}, {16, 16}, {2, 3}} {
			for _, k := range []int{3, 5} {
				for _, s := range [][2]int{{1, 1}, {2, 2}, {1, 2}, {3, 3}} {
					for _, pd := range []struct{ pad, dil [2]int }{
						{[2]int{k / 2, k / 2}, [2]int{1, 1}}, {[2]int{0, 1}, [2]int{1, 1}}, {[2]int{k - 1, 2}, [2]int{2, 1}},
					} {
						cases = append(cases, convCase{n: 3, c: c, h: hw[0], w: hw[1], cout: c, kh: k, kw: k,
							stride: s, pad: pd.pad, dil: pd.dil, groups: c})
					}
				}
			}
		}
	}
	interleaved := func(tc convCase) bool { // not the old kernels (maps too wide)
		return dwInterleaved(newConvGeom("test", []int{tc.n, tc.c, tc.h, tc.w}, []int{tc.cout, 1, tc.kh, tc.kw}, tc.params()))
	}
	require.GreaterOrEqual(t, checkConvCases(t, rng, cases, interleaved), 150, "cases checked")
}

// TestDepthwiseInterleavedGradWeightChannelsIndependent checks that the
// weight gradient of every channel of small maps (the interleaved
// kernels; GradNarrow3x3S2 for the 8×8 stride-2 case) is bit for bit that
// of the channel alone, however the channels' groups of lanes are split
// into parallel ranges read image after image.
func TestDepthwiseInterleavedGradWeightChannelsIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, tc := range []convCase{
		{n: 5, c: 43, h: 4, w: 4, cout: 43, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 43},
		{n: 3, c: 70, h: 8, w: 8, cout: 70, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 70},
		{n: 4, c: 200, h: 7, w: 7, cout: 200, kh: 5, kw: 5, stride: [2]int{1, 1}, pad: [2]int{2, 2}, dil: [2]int{1, 1}, groups: 200},
	} {
		g := newConvGeom("test", []int{tc.n, tc.c, tc.h, tc.w}, []int{tc.cout, 1, tc.kh, tc.kw}, tc.params())
		require.True(t, dwInterleaved(g), "%v", tc)
		x := denseRandn(rng, tc.n, tc.c, tc.h, tc.w)
		dy := denseRandn(rng, tc.n, tc.c, g.ho, g.wo)
		dw := Conv2DGradWeight(x, dy, []int{tc.c, 1, tc.kh, tc.kw}, tc.params()).Data()
		kk := tc.kh * tc.kw
		// Each group of lanes alone: one group, one range.
		for c0 := 0; c0 < tc.c; c0 += 8 {
			nc := min(8, tc.c-c0)
			p1 := tc.params()
			p1.Groups = nc
			dw1 := Conv2DGradWeight(channelsOf(x, c0, nc), channelsOf(dy, c0, nc), []int{nc, 1, tc.kh, tc.kw}, p1).Data()
			require.Equal(t, dw[c0*kk:(c0+nc)*kk], dw1, "%v channels from %d", tc, c0)
		}
	}
}

// channelsOf returns channels [c0, c0+nc) of x (N×C×…).
func channelsOf(x *Tensor, c0, nc int) *Tensor {
	n, c, s := bnLayout("channelsOf", x)
	out := make([]float32, n*nc*s)
	for i := range n {
		copy(out[i*nc*s:(i+1)*nc*s], x.data[(i*c+c0)*s:])
	}
	return FromSlice(out, append([]int{n, nc}, x.shape[2:]...)...)
}

// TestDepthwiseStreamingStores checks that the forward and input-gradient
// outputs written with non-temporal stores (outputs of at least dwStreamBytes whose
// vectors tile the planes) are bit-for-bit those of the regular stores.
func TestDepthwiseStreamingStores(t *testing.T) {
	old := dwStreamBytes
	defer func() { dwStreamBytes = old }()
	rng := rand.New(rand.NewPCG(65, 66))
	cases := []convCase{
		{n: 2, c: 3, h: 16, w: 16, cout: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 3},
		{n: 2, c: 3, h: 9, w: 24, cout: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 3},
		{n: 1, c: 2, h: 56, w: 56, cout: 2, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 2},
		{n: 2, c: 2, h: 5, w: 40, cout: 4, kh: 5, kw: 5, stride: [2]int{1, 1}, pad: [2]int{2, 2}, dil: [2]int{1, 1}, groups: 2},
		{n: 1, c: 3, h: 32, w: 32, cout: 3, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 3},
		{n: 1, c: 2, h: 20, w: 20, cout: 2, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{0, 0}, dil: [2]int{2, 2}, groups: 2},
		{n: 2, c: 3, h: 11, w: 13, cout: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, dil: [2]int{1, 1}, groups: 3},
	}
	for _, tc := range cases {
		x := denseRandn(rng, tc.n, tc.c, tc.h, tc.w)
		w := denseRandn(rng, tc.cout, 1, tc.kh, tc.kw)
		p := tc.params()
		dwStreamBytes = math.MaxInt
		y1 := Conv2D(x, w, p)
		dy := denseRandn(rng, y1.Shape()...)
		dx1 := Conv2DGradInput(dy, w, x.Shape(), p)
		dwStreamBytes = 0
		y2 := Conv2D(x, w, p)
		dx2 := Conv2DGradInput(dy, w, x.Shape(), p)
		for _, c := range [][3]any{{"y", y1, y2}, {"dx", dx1, dx2}} {
			a, b := c[1].(*Tensor), c[2].(*Tensor)
			require.Equal(t, a.Shape(), b.Shape(), "%s %v", c[0], tc)
			for i, v := range a.Data() {
				if math.Float32bits(v) != math.Float32bits(b.Data()[i]) {
					require.Failf(t, "mismatch", "%s %v: element %d: %v != %v", c[0], tc, i, v, b.Data()[i])
				}
			}
		}
	}
}
