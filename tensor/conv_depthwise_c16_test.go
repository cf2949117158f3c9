package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autonl-go/autonl/tensor/internal/dwconv"
	"github.com/stretchr/testify/require"
)

// TestDepthwiseC16MatchesFlat checks that the depthwise convolutions that
// run on pixels of 16 channels (dwC16: forward, with and without a batch
// norm epilogue, and input gradient) give the flattened planes' results
// (dwconv.FlatPlan) bit for bit, and the naive reference's within
// rounding: 3×3 to 7×7 kernels (and 5×3, 3×7) on 2×12 to 56×56 maps, 16
// to 48 channels.
func TestDepthwiseC16MatchesFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	var cases []convCase
	for _, c := range []struct{ c, h, w, kh, kw int }{
		{16, 7, 7, 3, 3}, {32, 7, 7, 5, 5}, {16, 7, 7, 7, 7}, {48, 14, 14, 7, 7}, {16, 14, 14, 5, 5},
		{16, 56, 56, 5, 5}, {16, 3, 11, 5, 3}, {32, 4, 9, 3, 7}, {16, 15, 15, 5, 5}, {16, 2, 12, 5, 5},
	} {
		cases = append(cases, convCase{n: 2, c: c.c, h: c.h, w: c.w, cout: c.c, kh: c.kh, kw: c.kw,
			stride: [2]int{1, 1}, pad: [2]int{c.kh / 2, c.kw / 2}, dil: [2]int{1, 1}, groups: c.c})
	}
	used := 0
	for _, tc := range cases {
		g := newConvGeom("test", []int{tc.n, tc.c, tc.h, tc.w}, []int{tc.cout, 1, tc.kh, tc.kw}, tc.params())
		if !dwFlat(g) || !dwC16(g) {
			continue
		}
		used++
		x := denseRandn(rng, tc.n, tc.c, tc.h, tc.w)
		w := denseRandn(rng, tc.cout, 1, tc.kh, tc.kw)
		gamma, beta := denseRandn(rng, tc.c), denseRandn(rng, tc.c)
		mean, variance := denseRandn(rng, tc.c), denseRandn(rng, tc.c)
		for i, v := range variance.Data() {
			variance.Data()[i] = float32(math.Abs(float64(v))) + 0.1
		}
		ep := NewBatchNormEpilogue(gamma, beta, mean, variance, 1e-5, 0, 6)
		p := tc.params()
		run := func() []*Tensor {
			y := Conv2D(x, w, p)
			dy := denseRandn(rand.New(rand.NewPCG(1, 2)), y.Shape()...)
			return []*Tensor{y, Conv2DFused(x, w, p, ep), Conv2DGradInput(dy, w, x.Shape(), p)}
		}
		got := run()
		dwC16Enabled = false
		want := run()
		dwC16Enabled = true
		for k, name := range []string{"y", "fused y", "dx"} {
			a, b := want[k].Data(), got[k].Data()
			require.Equal(t, len(a), len(b))
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					require.Failf(t, "mismatch", "%s %+v: element %d: flat %v, 16 channels %v", name, tc, i, a[i], b[i])
				}
			}
		}
	}
	// 3×3 kernels run on 16 channels only where dwconv.C16SmallKernels.
	small := 0
	if !dwconv.C16SmallKernels() {
		small = 3 // the kernels of 9, 15 and 21 taps
	}
	if used == 0 {
		t.Skip("no TapsC16 with this kernel variant")
	}
	require.Equal(t, len(cases)-small, used, "cases on 16 channels")
	// Against the reference on the maps up to 15×15 (its tolerance does
	// not allow the weight gradient's float32 sums over 56×56 maps).
	upTo15 := func(tc convCase) bool { return tc.h*tc.w <= 15*15 }
	require.Equal(t, len(cases)-1, checkConvCases(t, rng, cases, upTo15), "cases checked against the reference")
}
