package models_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
)

func TestConvCost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      models.Shape
		cout, k int
		strides [2]int
		groups  int
		bias    bool
		out     models.Shape
		cost    models.Cost
	}{
		{ // the stem: 3·3·3·32 = 864 weights at 112·112 = 12544 positions
			name: "stem", in: models.Shape{C: 3, H: 224, W: 224}, cout: 32, k: 3, strides: [2]int{2, 2}, groups: 1,
			out: models.Shape{C: 32, H: 112, W: 112}, cost: models.Cost{MACs: 864 * 12544, Params: 864},
		},
		{ // same padding rounds up: ⌈7/2⌉ = 4, ⌈5/2⌉ = 3
			name: "odd size", in: models.Shape{C: 4, H: 7, W: 5}, cout: 6, k: 3, strides: [2]int{2, 2}, groups: 1,
			out: models.Shape{C: 6, H: 4, W: 3}, cost: models.Cost{MACs: 9 * 4 * 6 * 12, Params: 216},
		},
		{ // 1×1 with bias: bias is a parameter, not a MAC
			name: "pointwise bias", in: models.Shape{C: 10, H: 2, W: 3}, cout: 5, k: 1, strides: [2]int{1, 1}, groups: 1, bias: true,
			out: models.Shape{C: 5, H: 2, W: 3}, cost: models.Cost{MACs: 10 * 5 * 6, Params: 50 + 5},
		},
		{ // depthwise 5×5 stride 2: 25·C weights
			name: "depthwise", in: models.Shape{C: 240, H: 28, W: 28}, cout: 240, k: 5, strides: [2]int{2, 2}, groups: 240,
			out: models.Shape{C: 240, H: 14, W: 14}, cost: models.Cost{MACs: 25 * 240 * 196, Params: 6000},
		},
		{ // 2 groups: 3·3·(8/2)·4 = 144 weights
			name: "grouped", in: models.Shape{C: 8, H: 10, W: 10}, cout: 4, k: 3, strides: [2]int{1, 1}, groups: 2,
			out: models.Shape{C: 4, H: 10, W: 10}, cost: models.Cost{MACs: 14400, Params: 144},
		},
		{ // different row and column strides
			name: "strides 21", in: models.Shape{C: 1, H: 8, W: 8}, cout: 1, k: 3, strides: [2]int{2, 1}, groups: 1,
			out: models.Shape{C: 1, H: 4, W: 8}, cost: models.Cost{MACs: 9 * 32, Params: 9},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, c := models.ConvCost(tc.in, tc.cout, tc.k, tc.strides, tc.groups, tc.bias)
			require.Equal(t, tc.out, out)
			require.Equal(t, tc.cost, c)
		})
	}
	require.Equal(t, models.Cost{Params: 64}, models.BatchNormCost(32))
	require.Equal(t, models.Cost{MACs: 1280000, Params: 1281000}, models.LinearCost(1280, 1000, true))
	require.Equal(t, models.Cost{MACs: 1280000, Params: 1280000}, models.LinearCost(1280, 1000, false))
	require.Equal(t, models.Cost{MACs: 49 * 1280}, models.GlobalPoolCost(models.Shape{C: 1280, H: 7, W: 7}))
	// SE on 240×14×14 reduced to 10: pool 196·240, two 1×1 convs 240·10 each.
	require.Equal(t, models.Cost{MACs: 196*240 + 2*2400, Params: 2*2400 + 10 + 240},
		models.SqueezeExciteCost(models.Shape{C: 240, H: 14, W: 14}, 10))
	require.Equal(t, models.Cost{MACs: 903168 + 677376, Params: 264},
		models.LightNLCost(models.Shape{C: 24, H: 56, W: 56}, models.LightNLSpec{Ratio: 0.25, Stride: 1}))
	require.Equal(t, models.Cost{}, models.LightNLCost(models.Shape{C: 24, H: 56, W: 56}, models.LightNLSpec{}))
	require.Equal(t, "24×56×56", models.Shape{C: 24, H: 56, W: 56}.String())
}

func TestBlockWidths(t *testing.T) {
	b := models.MustParseArch("r1_k3_s11_e6_i40_o80_se0.25")[0]
	require.Equal(t, 240, b.HiddenWidth())
	require.Equal(t, 10, b.SEWidth(), "SE reduces from the input width, not the hidden width")
	require.True(t, b.HasExpandConv())

	b = models.MustParseArch("r1_k3_s11_e1_i32_o16")[0]
	require.Equal(t, 32, b.HiddenWidth())
	require.Equal(t, 0, b.SEWidth())
	require.False(t, b.HasExpandConv())

	b = models.MustParseArch("r1_k3_s11_e2.5_i5_o8_se0.3")[0]
	require.Equal(t, 13, b.HiddenWidth(), "round(12.5) = 13")
	require.Equal(t, 2, b.SEWidth(), "round(1.5) = 2")
	b = models.MustParseArch("r1_k3_s11_e3_i3_o8_se0.1")[0]
	require.Equal(t, 1, b.SEWidth(), "at least one reduced channel")
}

// Hand-computed MBConv layers.
func TestMBConvLayers(t *testing.T) {
	type row struct {
		part   string
		out    models.Shape
		macs   int64
		params int64
	}
	for _, tc := range []struct {
		block string
		in    models.Shape
		rows  []row
	}{
		{
			// AutoNL-S layer 6 on 40×28×28: hidden 240, SE width 10, output 80×14×14.
			block: "r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25",
			in:    models.Shape{C: 40, H: 28, W: 28},
			rows: []row{
				{"expand", models.Shape{C: 240, H: 28, W: 28}, 40 * 240 * 784, 40*240 + 2*240},
				{"dw", models.Shape{C: 240, H: 14, W: 14}, 25 * 240 * 196, 25*240 + 2*240},
				{"se", models.Shape{C: 240, H: 14, W: 14}, 196*240 + 2*240*10, 2*240*10 + 10 + 240},
				{"project", models.Shape{C: 80, H: 14, W: 14}, 240 * 80 * 196, 240*80 + 2*80},
				// rC = 20, N = M = 196: A = 196·196·100 = 3841600 > B = 392·80·20 = 627200;
				// depthwise 9·80·196 = 141120.
				{"lightnl", models.Shape{C: 80, H: 14, W: 14}, 627200 + 141120, 9*80 + 2*80},
			},
		},
		{
			// Expansion 1: no expand conv; depthwise on the 32 input channels.
			block: "r1_k3_s11_e1_i32_o16",
			in:    models.Shape{C: 32, H: 112, W: 112},
			rows: []row{
				{"dw", models.Shape{C: 32, H: 112, W: 112}, 9 * 32 * 12544, 9*32 + 64},
				{"project", models.Shape{C: 16, H: 112, W: 112}, 32 * 16 * 12544, 32*16 + 32},
			},
		},
		{
			// Key stride 2 on an odd map: M = ⌊7/2⌋² = 9 in the formula; rC = 24.
			// A = 49·9·(24+192) = 95256 < B = 58·192·24 = 267264.
			block: "r1_k5_s11_e6_i192_o192_nonlocal0.125-2",
			in:    models.Shape{C: 192, H: 7, W: 7},
			rows: []row{
				{"expand", models.Shape{C: 1152, H: 7, W: 7}, 192 * 1152 * 49, 192*1152 + 2*1152},
				{"dw", models.Shape{C: 1152, H: 7, W: 7}, 25 * 1152 * 49, 25*1152 + 2*1152},
				{"project", models.Shape{C: 192, H: 7, W: 7}, 1152 * 192 * 49, 1152*192 + 2*192},
				{"lightnl", models.Shape{C: 192, H: 7, W: 7}, 95256 + 9*192*49, 11 * 192},
			},
		},
	} {
		t.Run(tc.block, func(t *testing.T) {
			b := models.MustParseArch(tc.block)[0]
			layers, out := models.MBConvLayers("x.", b, tc.in)
			require.Len(t, layers, len(tc.rows))
			var sum models.Cost
			for i, r := range tc.rows {
				want := models.LayerCost{Name: "x." + r.part, Out: r.out, Cost: models.Cost{MACs: r.macs, Params: r.params}}
				require.Equal(t, want, layers[i])
				sum = sum.Add(want.Cost)
			}
			require.Equal(t, tc.rows[len(tc.rows)-1].out, out)
			c, out2 := models.MBConvCost(b, tc.in)
			require.Equal(t, sum, c)
			require.Equal(t, out, out2)
		})
	}
}

// roundTo rounds x to a multiple of unit, as a paper rounds its figures.
func roundTo(x int64, unit float64) float64 { return math.Round(float64(x)/unit) * unit }

// The zoo against the published figures (DESIGN.md section 6).
func TestZooCost(t *testing.T) {
	for _, tc := range []struct {
		name   string
		arch   string
		macs   float64 // published, in multiply-adds
		params float64 // published, rounded to 0.1M
		layers int     // MBConv layers
	}{
		{"MobileNetV2 1.0", models.MobileNetV2Arch, 300e6, 3.5e6, 17}, // 3.4M in the paper, 3.5M with BN
		{"MnasNet-A1", models.MnasNetA1Arch, 312e6, 3.9e6, 16},
		{"Single-Path NAS", models.SinglePathNASArch, 334e6, 4.4e6, 21},
		{"AutoNL-S", models.AutoNLSArch, 267e6, 4.4e6, 18},
		{"AutoNL-L", models.AutoNLLArch, 353e6, 5.6e6, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, err := models.ParseArch(tc.arch)
			require.NoError(t, err)
			n, err := models.CountArch(blocks, models.ImageNetConfig())
			require.NoError(t, err)
			t.Logf("%s: %d MACs (%.2fM, %+.2f%% vs %.0fM published), %d params (%.3fM, published %.1fM)",
				tc.name, n.Total.MACs, float64(n.Total.MACs)/1e6, 100*(float64(n.Total.MACs)/tc.macs-1), tc.macs/1e6,
				n.Total.Params, float64(n.Total.Params)/1e6, tc.params/1e6)
			require.InEpsilon(t, tc.macs, float64(n.Total.MACs), 0.005, "MACs within 0.5%% of the published figure")
			require.Equal(t, tc.params, roundTo(n.Total.Params, 1e5), "params to the published rounding")

			// Structure: layer names, shapes, the total is the sum of the layers.
			require.Equal(t, "stem", n.Layers[0].Name)
			require.Equal(t, models.Shape{C: 32, H: 112, W: 112}, n.Layers[0].Out)
			last := n.Layers[len(n.Layers)-1]
			require.Equal(t, models.LayerCost{Name: "classifier", Out: models.Shape{C: 1000, H: 1, W: 1},
				Cost: models.Cost{MACs: 1280000, Params: 1281000}}, last)
			require.Equal(t, models.LayerCost{Name: "pool", Out: models.Shape{C: 1280, H: 1, W: 1},
				Cost: models.Cost{MACs: 62720}}, n.Layers[len(n.Layers)-2])
			require.Equal(t, models.LayerCost{Name: "head", Out: models.Shape{C: 1280, H: 7, W: 7},
				Cost: models.Cost{MACs: 320 * 1280 * 49, Params: 320*1280 + 2560}}, n.Layers[len(n.Layers)-3])
			require.Equal(t, n.Total, n.Prefix(""))
			var sum models.Cost
			for _, l := range n.Layers {
				sum = sum.Add(l.Cost)
			}
			require.Equal(t, n.Total, sum)
			x := n.Layers[0].Out
			var lightNL models.Cost
			for i, l := range models.Unroll(blocks) {
				c, out := models.MBConvCost(l, x)
				require.Equal(t, c, n.Prefix(fmt.Sprintf("blocks.%d.", i)), "layer %d", i)
				lightNL = lightNL.Add(n.Prefix(fmt.Sprintf("blocks.%d.lightnl", i)))
				x = out
			}
			require.Equal(t, models.Shape{C: 320, H: 7, W: 7}, x)
			require.False(t, strings.HasPrefix(n.Layers[len(n.Layers)-4].Name, fmt.Sprintf("blocks.%d.", tc.layers)))
			require.True(t, strings.HasPrefix(n.Layers[len(n.Layers)-4].Name, fmt.Sprintf("blocks.%d.", tc.layers-1)))
			if lightNL.MACs > 0 {
				t.Logf("%s: LightNL blocks %d MACs (%.2f%% of the total), %d params",
					tc.name, lightNL.MACs, 100*float64(lightNL.MACs)/float64(n.Total.MACs), lightNL.Params)
			}
			if testing.Verbose() {
				t.Logf("%s per layer:\n%s", tc.name, n.Table())
			}
		})
	}
}

func TestMobileNetV2Exact(t *testing.T) {
	n, err := models.CountArch(models.MustParseArch(models.MobileNetV2Arch), models.ImageNetConfig())
	require.NoError(t, err)
	require.Equal(t, int64(3504872), n.Total.Params, "torchvision's mobilenet_v2 parameter count")
	require.Equal(t, int64(300836992), n.Total.MACs, "MACs; 62720 of them are the head's global pooling")
	t.Logf("MobileNetV2 1.0: %d MACs, %d params", n.Total.MACs, n.Total.Params)
}

// The LightNL blocks of AutoNL-S and AutoNL-L against conventional non-local
// blocks (key stride 1) at the same places.
func TestZooLightNLVersusNonLocal(t *testing.T) {
	for _, tc := range []struct{ name, arch string }{{"AutoNL-S", models.AutoNLSArch}, {"AutoNL-L", models.AutoNLLArch}} {
		n, err := models.CountArch(models.MustParseArch(tc.arch), models.ImageNetConfig())
		require.NoError(t, err)
		var lnl, nl int64
		for _, l := range n.Layers {
			if strings.HasSuffix(l.Name, ".lightnl") {
				lnl += l.MACs
				nl += lightnl.NonLocalMACs(l.Out.C, l.Out.H, l.Out.W, 1)
			}
		}
		require.Greater(t, nl, 10*lnl)
		t.Logf("%s: LightNL blocks %d MACs, non-local blocks in their place %d MACs (%.0f×)", tc.name, lnl, nl, float64(nl)/float64(lnl))
	}
}

func TestCountArchErrors(t *testing.T) {
	cfg := models.ImageNetConfig()
	blocks := models.MustParseArch(models.AutoNLSArch)

	_, err := models.CountArch(blocks[1:], cfg)
	var ae *models.ArchError
	require.ErrorAs(t, err, &ae)
	require.ErrorIs(t, err, models.ErrWidthMismatch)
	require.Equal(t, 1, ae.Block)
	require.Contains(t, err.Error(), "stem width 32")

	_, err = models.CountArch(nil, cfg)
	require.ErrorIs(t, err, models.ErrNoBlocks)

	bad := append([]models.BlockSpec(nil), blocks...)
	bad[2].In = 99
	_, err = models.CountArch(bad, cfg)
	require.ErrorIs(t, err, models.ErrWidthMismatch)

	_, err = models.CountArch(models.MustParseArch("r1_k3_s11_e1_i32_o3_nonlocal0.25"), cfg)
	require.ErrorIs(t, err, models.ErrOutOfRange)
	require.Contains(t, err.Error(), "no query channel")

	for _, mutate := range []func(*models.NetConfig){
		func(c *models.NetConfig) { c.InputSize = 0 },
		func(c *models.NetConfig) { c.InputChannels = 0 },
		func(c *models.NetConfig) { c.StemWidth = 0 },
		func(c *models.NetConfig) { c.StemStride = 0 },
		func(c *models.NetConfig) { c.HeadWidth = -1 },
		func(c *models.NetConfig) { c.Classes = -1 },
	} {
		c := cfg
		mutate(&c)
		_, err := models.CountArch(blocks, c)
		require.Error(t, err)
		require.False(t, errors.Is(err, models.ErrWidthMismatch))
	}
}

// A small configuration: 32×32 input, no head conv, no classifier.
func TestCountArchSmallConfig(t *testing.T) {
	cfg := models.NetConfig{InputSize: 32, InputChannels: 3, StemWidth: 8, StemStride: 1}
	n, err := models.CountArch(models.MustParseArch("r2_k3_s22_e3_i8_o8_se0.25_nonlocal0.25-2"), cfg)
	require.NoError(t, err)
	var names []string
	for _, l := range n.Layers {
		names = append(names, l.Name)
	}
	require.Equal(t, []string{
		"stem",
		"blocks.0.expand", "blocks.0.dw", "blocks.0.se", "blocks.0.project", "blocks.0.lightnl",
		"blocks.1.expand", "blocks.1.dw", "blocks.1.se", "blocks.1.project", "blocks.1.lightnl",
		"pool",
	}, names)
	// stem 3·3·3·8 at 32×32; layer 0 (hidden 24, SE width 2) expands at
	// 32×32 and the rest runs at 16×16; layer 1 runs at 16×16 throughout.
	// LightNL on 8×16×16, r = 0.25 (rC = 2), s = 2 (M = 64): A = 256·64·10 = 163840,
	// B = 320·8·2 = 5120; depthwise 9·8·256 = 18432.
	stem := int64(216 * 1024)
	l0 := int64(8*24*1024) + int64(9*24*256) + int64(256*24+2*24*2) + int64(24*8*256) + (5120 + 18432)
	l1 := int64(8*24*256) + int64(9*24*256) + int64(256*24+2*24*2) + int64(24*8*256) + (5120 + 18432)
	pool := int64(8 * 256)
	require.Equal(t, stem+l0+l1+pool, n.Total.MACs)
	require.Equal(t, models.Shape{C: 8, H: 1, W: 1}, n.Layers[len(n.Layers)-1].Out)
	require.Contains(t, n.Table(), "blocks.1.lightnl")
}
