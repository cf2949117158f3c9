package lightnl_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/lightnl"
)

func TestReducedChannelsAndKeys(t *testing.T) {
	for _, tc := range []struct {
		c     int
		ratio float64
		want  int
	}{
		{24, 0.25, 6},
		{80, 0.125, 10},
		{320, 0.25, 80},
		{10, 0.25, 2},   // 2.5 → 2
		{3, 0.25, 0},    // 0.75 → 0
		{100, 0.29, 29}, // 28.999999999999996 in float64
		{10, 0.7, 7},    // 7.000000000000001 in float64
		{16, 1, 16},
	} {
		require.Equal(t, tc.want, lightnl.ReducedChannels(tc.c, tc.ratio), "C=%d r=%v", tc.c, tc.ratio)
	}
	require.Equal(t, 56*56, lightnl.Keys(56, 56, 1))
	require.Equal(t, 28*28, lightnl.Keys(56, 56, 2))
	require.Equal(t, 9, lightnl.Keys(7, 7, 2), "⌊7/2⌋² keys in the formula")
	require.Equal(t, 3*2, lightnl.Keys(7, 5, 2))
}

// Hand-computed LightNL costs.
func TestLightNLMACs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		c, h, w    int
		ratio      float64
		stride     int
		a, b       int64
		order      lightnl.Order
		macs       int64
		paperFloat bool // r·C is an integer, so the paper's real-valued formulas apply exactly
	}{
		{
			// N = M = 3136, rC = 6: A = 3136·3136·(6+24), B = (3136+3136)·24·6,
			// depthwise 9·24·3136 = 677376.
			name: "56x56x24 r0.25 s1", c: 24, h: 56, w: 56, ratio: 0.25, stride: 1,
			a: 295034880, b: 903168, order: lightnl.OrderB, macs: 903168 + 677376, paperFloat: true,
		},
		{
			// N = 784, M = 196, rC = 10: A = 784·196·50, B = 980·40·10, dw 9·40·784.
			name: "28x28x40 r0.25 s2", c: 40, h: 28, w: 28, ratio: 0.25, stride: 2,
			a: 7683200, b: 392000, order: lightnl.OrderB, macs: 392000 + 282240, paperFloat: true,
		},
		{
			// N = M = 49, rC = 80: A = 49·49·400 = 960400 < B = 98·320·80 = 2508800;
			// dw 9·320·49 = 141120.
			name: "7x7x320 r0.25 s1", c: 320, h: 7, w: 7, ratio: 0.25, stride: 1,
			a: 960400, b: 2508800, order: lightnl.OrderA, macs: 960400 + 141120, paperFloat: true,
		},
		{
			// N = 49, M = ⌊7/2⌋² = 9, rC = 24: A = 49·9·216 = 95256,
			// B = 58·192·24 = 267264; dw 9·192·49 = 84672.
			name: "7x7x192 r0.125 s2", c: 192, h: 7, w: 7, ratio: 0.125, stride: 2,
			a: 95256, b: 267264, order: lightnl.OrderA, macs: 95256 + 84672, paperFloat: true,
		},
		{
			// rC = ⌊0.25·10⌋ = 2 (not 2.5): N = M = 16, A = 16·16·12 = 3072,
			// B = 32·10·2 = 640; dw 9·10·16 = 1440.
			name: "4x4x10 r0.25 s1 (r·C not integral)", c: 10, h: 4, w: 4, ratio: 0.25, stride: 1,
			a: 3072, b: 640, order: lightnl.OrderB, macs: 640 + 1440,
		},
		{
			// A tie goes to B: C = 1, r = 1 (rC = 1), N = M = 1:
			// A = 1·1·(1+1) = 2, B = (1+1)·1·1 = 2; dw 9.
			name: "tie 1x1x1 r1", c: 1, h: 1, w: 1, ratio: 1, stride: 1,
			a: 2, b: 2, order: lightnl.OrderB, macs: 2 + 9, paperFloat: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := lightnl.AttentionMACs(tc.c, tc.h, tc.w, tc.ratio, tc.stride)
			require.Equal(t, tc.a, a, "A")
			require.Equal(t, tc.b, b, "B")
			require.Equal(t, tc.order, lightnl.CheaperOrder(tc.c, tc.h, tc.w, tc.ratio, tc.stride))
			require.Equal(t, tc.macs, lightnl.BlockMACs(tc.c, tc.h, tc.w, tc.ratio, tc.stride))
			if tc.paperFloat {
				// The paper's formulas: A = HW·M·C·(1+r), B = (HW+M)·C²·r.
				hw := float64(tc.h * tc.w)
				m := float64(lightnl.Keys(tc.h, tc.w, tc.stride))
				c := float64(tc.c)
				require.Equal(t, hw*m*c*(1+tc.ratio), float64(a))
				require.Equal(t, (hw+m)*c*c*tc.ratio, float64(b))
			}
		})
	}
	require.Equal(t, "A", lightnl.OrderA.String())
	require.Equal(t, "B", lightnl.OrderB.String())
}

func TestParams(t *testing.T) {
	require.Equal(t, 9*24+2*24, lightnl.LightNLParams(24))
	require.Equal(t, 3520, lightnl.LightNLParams(320))
	// θ, φ, g: 96·48 + 48 each; W_z: 48·96 + 96; BN: 2·96.
	require.Equal(t, 3*(96*48+48)+(48*96+96)+2*96, lightnl.NonLocalParams(96))
	require.Equal(t, 18864, lightnl.NonLocalParams(96))
	// Odd C: C' = 7.
	require.Equal(t, 3*(15*7+7)+(7*15+15)+2*15, lightnl.NonLocalParams(15))
}

func TestNonLocalMACs(t *testing.T) {
	// 14×14×96, s = 1: N = M = 196, C' = 48.
	// θ, φ, g, W_z: 4·196·96·48 = 3612672; affinity + aggregation 2·196·196·48 = 3687936.
	require.Equal(t, int64(3612672+3687936), lightnl.NonLocalMACs(96, 14, 14, 1))
	// DESIGN.md's NL = 2·N·C² + N·M·C for even C and s = 1.
	for _, s := range []struct{ c, h, w int }{{16, 112, 112}, {24, 56, 56}, {96, 14, 14}, {320, 7, 7}, {2, 3, 5}} {
		n := int64(s.h * s.w)
		c := int64(s.c)
		require.Equal(t, 2*n*c*c+n*n*c, lightnl.NonLocalMACs(s.c, s.h, s.w, 1), "%+v", s)
	}
	// 56×56×24, s = 2: N = 3136, M = 784, C' = 12: θ and W_z on N positions
	// (2·3136·24·12), φ and g on M positions (2·784·24·12), affinity and
	// aggregation 2·3136·784·12.
	require.Equal(t, int64(2*3136*24*12+2*784*24*12+2*3136*784*12), lightnl.NonLocalMACs(24, 56, 56, 2))
	// Odd C rounds the inner width down: C = 15 → C' = 7.
	require.Equal(t, int64(2*(16+16)*15*7+2*16*16*7), lightnl.NonLocalMACs(15, 4, 4, 1))
}

// LightNL against the conventional non-local block at the stage shapes of a
// mobile network, both with key stride 1 and LightNL with r = 0.25. The ratio
// is (2C + N)/(9 + 2·rC) when order B wins: it grows with the number of
// positions N and shrinks with the width C.
func TestRatioTable(t *testing.T) {
	type stage struct{ h, w, c int }
	stages := []stage{{112, 112, 16}, {56, 56, 24}, {28, 28, 40}, {14, 14, 80}, {14, 14, 96}, {7, 7, 192}, {7, 7, 320}}
	ratios := map[stage]float64{}
	t.Logf("%-11s %8s %14s %12s %5s %9s", "stage", "NL/LNL", "non-local", "LightNL", "order", "LNL params")
	for _, s := range stages {
		nl := lightnl.NonLocalMACs(s.c, s.h, s.w, 1)
		lnl := lightnl.BlockMACs(s.c, s.h, s.w, 0.25, 1)
		r := float64(nl) / float64(lnl)
		ratios[s] = r
		t.Logf("%3dx%3dx%-3d %8.1f %14d %12d %5v %9d", s.h, s.w, s.c, r, nl, lnl,
			lightnl.CheaperOrder(s.c, s.h, s.w, 0.25, 1), lightnl.LightNLParams(s.c))
	}
	// DESIGN.md section 5: several hundred at high resolution, single digits at 14×14×96.
	require.Greater(t, ratios[stage{112, 112, 16}], 500.0)
	// At 56×56×24 the ratio is (48 + 3136)/(9 + 12) ≈ 152: above a hundred, but
	// not "several hundred" as DESIGN.md section 5 puts it.
	require.InDelta(t, 3184.0/21.0, ratios[stage{56, 56, 24}], 1e-9)
	require.Greater(t, ratios[stage{56, 56, 24}], 100.0)
	r := ratios[stage{14, 14, 96}]
	require.True(t, r >= 1 && r < 10, "single digits at 14×14×96, got %.2f", r)
	require.InDelta(t, 7.0, r, 0.5, "DESIGN.md: about 7× at 14×14×96")
	for i := 1; i < len(stages)-1; i++ {
		require.Greater(t, ratios[stages[i-1]], ratios[stages[i]], "the ratio falls from stage to stage down to 7×7×192")
	}
}
