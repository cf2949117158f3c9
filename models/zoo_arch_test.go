package models_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/models"
)

// tableRow is one row of a paper table: layers from..to (inclusive) share
// everything but the first layer's stride and input width, as in the tables
// of paper-facts.md.
type tableRow struct {
	from, to int
	in, out  int
	e        float64
	k, s     int
	res      int     // output resolution at 224×224 input (stem output is 112)
	se       float64 // 0 = none
	nlRatio  float64 // 0 = none
	nlStride int
	noskip   bool
}

// AutoNL-S, transcribed from the table in paper-facts.md.
var autoNLSTable = []tableRow{
	{from: 0, to: 0, in: 32, out: 16, e: 1, k: 3, s: 1, res: 112},
	{from: 1, to: 1, in: 16, out: 24, e: 3, k: 3, s: 2, res: 56, nlRatio: 0.25, nlStride: 1},
	{from: 2, to: 2, in: 24, out: 24, e: 3, k: 3, s: 1, res: 56},
	{from: 3, to: 3, in: 24, out: 40, e: 3, k: 5, s: 2, res: 28, nlRatio: 0.25, nlStride: 1},
	{from: 4, to: 4, in: 40, out: 40, e: 3, k: 3, s: 1, res: 28, nlRatio: 0.25, nlStride: 2},
	{from: 5, to: 5, in: 40, out: 40, e: 3, k: 3, s: 1, res: 28},
	{from: 6, to: 6, in: 40, out: 80, e: 6, k: 5, s: 2, res: 14, se: 0.25, nlRatio: 0.25, nlStride: 1},
	{from: 7, to: 8, in: 80, out: 80, e: 3, k: 3, s: 1, res: 14, se: 0.5},
	{from: 9, to: 9, in: 80, out: 96, e: 6, k: 5, s: 1, res: 14, se: 0.25, nlRatio: 0.25, nlStride: 1},
	{from: 10, to: 12, in: 96, out: 96, e: 3, k: 3, s: 1, res: 14, se: 0.5},
	{from: 13, to: 13, in: 96, out: 192, e: 6, k: 5, s: 2, res: 7, se: 0.25, nlRatio: 0.25, nlStride: 1},
	{from: 14, to: 16, in: 192, out: 192, e: 3, k: 5, s: 1, res: 7, se: 0.5},
	{from: 17, to: 17, in: 192, out: 320, e: 6, k: 5, s: 1, res: 7, se: 0.5, nlRatio: 0.25, nlStride: 1},
}

// AutoNL-L, transcribed from the table in paper-facts.md.
var autoNLLTable = []tableRow{
	{from: 0, to: 0, in: 32, out: 16, e: 1, k: 3, s: 1, res: 112},
	{from: 1, to: 1, in: 16, out: 24, e: 3, k: 5, s: 2, res: 56, nlRatio: 0.25, nlStride: 1},
	{from: 2, to: 2, in: 24, out: 24, e: 3, k: 5, s: 1, res: 56},
	{from: 3, to: 3, in: 24, out: 24, e: 3, k: 3, s: 1, res: 56, nlRatio: 0.25, nlStride: 2},
	{from: 4, to: 4, in: 24, out: 40, e: 6, k: 5, s: 2, res: 28, nlRatio: 0.25, nlStride: 1},
	{from: 5, to: 7, in: 40, out: 40, e: 3, k: 3, s: 1, res: 28, nlRatio: 0.25, nlStride: 2},
	{from: 8, to: 8, in: 40, out: 80, e: 6, k: 5, s: 2, res: 14, nlRatio: 0.25, nlStride: 1},
	{from: 9, to: 10, in: 80, out: 80, e: 3, k: 3, s: 1, res: 14, se: 0.5},
	{from: 11, to: 11, in: 80, out: 80, e: 3, k: 3, s: 1, res: 14, se: 0.5, nlRatio: 0.125, nlStride: 2},
	{from: 12, to: 12, in: 80, out: 96, e: 6, k: 5, s: 1, res: 14, se: 0.5, nlRatio: 0.25, nlStride: 1},
	{from: 13, to: 14, in: 96, out: 96, e: 3, k: 5, s: 1, res: 14, se: 0.5},
	{from: 15, to: 15, in: 96, out: 96, e: 3, k: 3, s: 1, res: 14, se: 0.5, nlRatio: 0.25, nlStride: 2},
	{from: 16, to: 16, in: 96, out: 192, e: 6, k: 5, s: 2, res: 7, se: 0.5, nlRatio: 0.25, nlStride: 1},
	{from: 17, to: 18, in: 192, out: 192, e: 6, k: 5, s: 1, res: 7, se: 0.5, nlRatio: 0.125, nlStride: 1},
	{from: 19, to: 19, in: 192, out: 192, e: 6, k: 5, s: 1, res: 7, se: 0.5},
	{from: 20, to: 20, in: 192, out: 320, e: 6, k: 5, s: 1, res: 7, se: 0.5, nlRatio: 0.25, nlStride: 1},
}

// MobileNetV2 1.0 per layer: stages (t, c, n, s) = (1,16,1,1) (6,24,2,2)
// (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), 3×3 kernels.
var mobileNetV2Table = []tableRow{
	{from: 0, to: 0, in: 32, out: 16, e: 1, k: 3, s: 1, res: 112},
	{from: 1, to: 2, in: 16, out: 24, e: 6, k: 3, s: 2, res: 56},
	{from: 3, to: 5, in: 24, out: 32, e: 6, k: 3, s: 2, res: 28},
	{from: 6, to: 9, in: 32, out: 64, e: 6, k: 3, s: 2, res: 14},
	{from: 10, to: 12, in: 64, out: 96, e: 6, k: 3, s: 1, res: 14},
	{from: 13, to: 15, in: 96, out: 160, e: 6, k: 3, s: 2, res: 7},
	{from: 16, to: 16, in: 160, out: 320, e: 6, k: 3, s: 1, res: 7},
}

// MnasNet-A1 per layer (Tan et al. 2019, figure 7: SepConv, MBConv6 ×2,
// MBConv3 5×5 SE ×3, MBConv6 ×4, MBConv6 SE ×2, MBConv6 5×5 SE ×3, MBConv6).
var mnasNetA1Table = []tableRow{
	{from: 0, to: 0, in: 32, out: 16, e: 1, k: 3, s: 1, res: 112, noskip: true},
	{from: 1, to: 2, in: 16, out: 24, e: 6, k: 3, s: 2, res: 56},
	{from: 3, to: 5, in: 24, out: 40, e: 3, k: 5, s: 2, res: 28, se: 0.25},
	{from: 6, to: 9, in: 40, out: 80, e: 6, k: 3, s: 2, res: 14},
	{from: 10, to: 11, in: 80, out: 112, e: 6, k: 3, s: 1, res: 14, se: 0.25},
	{from: 12, to: 14, in: 112, out: 160, e: 6, k: 5, s: 2, res: 7, se: 0.25},
	{from: 15, to: 15, in: 160, out: 320, e: 6, k: 3, s: 1, res: 7},
}

// Single-Path NAS per layer (Stamoulis et al. 2019, final ImageNet network).
var singlePathNASTable = []tableRow{
	{from: 0, to: 0, in: 32, out: 16, e: 1, k: 3, s: 1, res: 112, noskip: true},
	{from: 1, to: 3, in: 16, out: 24, e: 3, k: 3, s: 2, res: 56},
	{from: 4, to: 4, in: 24, out: 40, e: 6, k: 5, s: 2, res: 28},
	{from: 5, to: 7, in: 40, out: 40, e: 3, k: 3, s: 1, res: 28},
	{from: 8, to: 8, in: 40, out: 80, e: 6, k: 5, s: 2, res: 14},
	{from: 9, to: 11, in: 80, out: 80, e: 3, k: 3, s: 1, res: 14},
	{from: 12, to: 12, in: 80, out: 96, e: 6, k: 5, s: 1, res: 14},
	{from: 13, to: 15, in: 96, out: 96, e: 3, k: 5, s: 1, res: 14},
	{from: 16, to: 19, in: 96, out: 192, e: 6, k: 5, s: 2, res: 7},
	{from: 20, to: 20, in: 192, out: 320, e: 6, k: 3, s: 1, res: 7},
}

func TestZooArchs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		table    []tableRow
		blocks   int // block strings
		layers   int // after Expand
		lightNL  int // layers followed by LightNL
		seLayers int
	}{
		{"MobileNetV2 1.0", models.MobileNetV2Arch, mobileNetV2Table, 7, 17, 0, 0},
		{"MnasNet-A1", models.MnasNetA1Arch, mnasNetA1Table, 7, 16, 0, 8},
		{"Single-Path NAS", models.SinglePathNASArch, singlePathNASTable, 10, 21, 0, 0},
		{"AutoNL-S", models.AutoNLSArch, autoNLSTable, 13, 18, 7, 12},
		{"AutoNL-L", models.AutoNLLArch, autoNLLTable, 16, 21, 14, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, err := models.ParseArch(tc.text)
			require.NoError(t, err)
			require.Len(t, blocks, tc.blocks)
			require.NoError(t, models.CheckArch(blocks))
			require.Equal(t, 32, blocks[0].In, "first block takes the stem's 32 channels")
			require.Equal(t, 320, blocks[len(blocks)-1].Out, "last block feeds the 1×1 head conv with 320 channels")

			// The zoo text is canonical apart from comments and spacing.
			var lines []string
			for _, ln := range strings.Split(tc.text, "\n") {
				ln, _, _ = strings.Cut(ln, "#")
				if ln = strings.TrimSpace(ln); ln != "" {
					lines = append(lines, ln)
				}
			}
			require.Equal(t, strings.Join(lines, "\n")+"\n", models.FormatArch(blocks))

			layers := models.Unroll(blocks)
			require.Len(t, layers, tc.layers)
			require.NoError(t, models.CheckArch(layers), "expanded widths chain too")

			nl, se := 0, 0
			for _, l := range layers {
				if l.HasNonLocal() {
					nl++
				}
				if l.HasSE() {
					se++
				}
			}
			require.Equal(t, tc.lightNL, nl, "LightNL layers")
			require.Equal(t, tc.seLayers, se, "SE layers")

			// Row by row against the table.
			require.Equal(t, tc.layers-1, tc.table[len(tc.table)-1].to)
			res := 112 // after the stride-2 stem at 224×224
			next := 0
			for _, row := range tc.table {
				require.Equal(t, next, row.from, "table rows are contiguous")
				for i := row.from; i <= row.to; i++ {
					l := layers[i]
					want := models.BlockSpec{
						Repeats: 1, Kernel: row.k, Strides: [2]int{row.s, row.s}, Expand: row.e,
						In: row.in, Out: row.out, SE: row.se, NoSkip: row.noskip,
						NonLocal: models.LightNLSpec{Ratio: row.nlRatio, Stride: row.nlStride},
					}
					if i > row.from { // repeats: stride 1, input = output
						want.Strides = [2]int{1, 1}
						want.In = row.out
					}
					require.Equal(t, want, l, "layer %d", i)
					res = (res + l.Strides[0] - 1) / l.Strides[0] // SAME padding
					require.Equal(t, row.res, res, "output resolution of layer %d", i)
					require.Equal(t, l.Strides == [2]int{1, 1} && l.In == l.Out && !row.noskip, l.HasSkip(), "skip of layer %d", i)
				}
				next = row.to + 1
			}
		})
	}
}

func TestZooMustParse(t *testing.T) {
	for _, text := range []string{models.MobileNetV2Arch, models.MnasNetA1Arch, models.SinglePathNASArch, models.AutoNLSArch, models.AutoNLLArch} {
		require.NotPanics(t, func() { models.MustParseArch(text) })
	}
}
