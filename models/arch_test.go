package models_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/models"
)

func TestParseBlockValid(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      models.BlockSpec
		canonical string // "" means in is canonical
	}{
		{
			in: "r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25-2",
			want: models.BlockSpec{Repeats: 1, Kernel: 5, Strides: [2]int{2, 2}, Expand: 6, In: 40, Out: 80,
				SE: 0.25, NonLocal: models.LightNLSpec{Ratio: 0.25, Stride: 2}},
		},
		{
			in:   "r1_k3_s11_e1_i32_o16_noskip",
			want: models.BlockSpec{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 1, In: 32, Out: 16, NoSkip: true},
		},
		{
			in:   "r3_k5_s22_e3_i24_o40_se0.25",
			want: models.BlockSpec{Repeats: 3, Kernel: 5, Strides: [2]int{2, 2}, Expand: 3, In: 24, Out: 40, SE: 0.25},
		},
		{
			in: "r1_k3_s22_e3_i16_o24_nonlocal0.25",
			want: models.BlockSpec{Repeats: 1, Kernel: 3, Strides: [2]int{2, 2}, Expand: 3, In: 16, Out: 24,
				NonLocal: models.LightNLSpec{Ratio: 0.25, Stride: 1}},
		},
		{
			in:        "o80_i40_e6_s22_k5_r1",
			want:      models.BlockSpec{Repeats: 1, Kernel: 5, Strides: [2]int{2, 2}, Expand: 6, In: 40, Out: 80},
			canonical: "r1_k5_s22_e6_i40_o80",
		},
		{
			in: "noskip_nonlocal0.5-3_se1_o8_i8_e4.5_s12_k7_r4",
			want: models.BlockSpec{Repeats: 4, Kernel: 7, Strides: [2]int{1, 2}, Expand: 4.5, In: 8, Out: 8,
				SE: 1, NoSkip: true, NonLocal: models.LightNLSpec{Ratio: 0.5, Stride: 3}},
			canonical: "r4_k7_s12_e4.5_i8_o8_se1_noskip_nonlocal0.5-3",
		},
		{
			in:        "r2_k3_s2_e6_i16_o24",
			want:      models.BlockSpec{Repeats: 2, Kernel: 3, Strides: [2]int{2, 2}, Expand: 6, In: 16, Out: 24},
			canonical: "r2_k3_s22_e6_i16_o24",
		},
		{
			in: "r1_k1_s1_e0.5_i1_o1_nonlocal0.125-1",
			want: models.BlockSpec{Repeats: 1, Kernel: 1, Strides: [2]int{1, 1}, Expand: 0.5, In: 1, Out: 1,
				NonLocal: models.LightNLSpec{Ratio: 0.125, Stride: 1}},
			canonical: "r1_k1_s11_e0.5_i1_o1_nonlocal0.125",
		},
		{
			in:        "r1_k3_s11_e6.0_i16_o16_se0.250_nonlocal1.0-2",
			want:      models.BlockSpec{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 6, In: 16, Out: 16, SE: 0.25, NonLocal: models.LightNLSpec{Ratio: 1, Stride: 2}},
			canonical: "r1_k3_s11_e6_i16_o16_se0.25_nonlocal1-2",
		},
		{
			in:        " \tr1_k3_s11_e1_i32_o16\r\n",
			want:      models.BlockSpec{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 1, In: 32, Out: 16},
			canonical: "r1_k3_s11_e1_i32_o16",
		},
		{
			in: "r64_k31_s99_e64_i256_o16384_se0.1_nonlocal0.3-9", // every limit
			want: models.BlockSpec{Repeats: models.MaxRepeats, Kernel: models.MaxKernel, Strides: [2]int{9, 9},
				Expand: models.MaxExpand, In: models.MaxWidth / models.MaxExpand, Out: models.MaxWidth, SE: 0.1,
				NonLocal: models.LightNLSpec{Ratio: 0.3, Stride: models.MaxStride}},
		},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b, err := models.ParseBlock(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, b)
			require.NoError(t, b.Validate())
			canonical := tc.canonical
			if canonical == "" {
				canonical = tc.in
			}
			require.Equal(t, canonical, b.String())
			// The canonical form is a fixed point.
			b2, err := models.ParseBlock(canonical)
			require.NoError(t, err)
			require.Equal(t, b, b2)
			require.Equal(t, canonical, b2.String())
		})
	}
}

func TestParseBlockErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind error
		msg  string
	}{
		// empty tokens
		{"", models.ErrEmptyToken, `models: empty block string`},
		{"   ", models.ErrEmptyToken, `models: empty block string`},
		{"r1__k3_s11_e1_i32_o16", models.ErrEmptyToken,
			`models: block "r1__k3_s11_e1_i32_o16": empty token at position 2 (stray "_")`},
		{"_r1_k3_s11_e1_i32_o16", models.ErrEmptyToken,
			`models: block "_r1_k3_s11_e1_i32_o16": empty token at position 1 (stray "_")`},
		{"r1_k3_s11_e1_i32_o16_", models.ErrEmptyToken,
			`models: block "r1_k3_s11_e1_i32_o16_": empty token at position 7 (stray "_")`},

		// unknown tokens
		{"r1_k3_s11_e1_i32_o16_x5", models.ErrUnknownToken,
			`models: block "r1_k3_s11_e1_i32_o16_x5": token "x5": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"r1_K3_s11_e1_i32_o16", models.ErrUnknownToken,
			`models: block "r1_K3_s11_e1_i32_o16": token "K3": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"ir_r1_k3_s11_e1_i32_o16", models.ErrUnknownToken,
			`models: block "ir_r1_k3_s11_e1_i32_o16": token "ir": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"r1_k3_s11_e1_i32_c16", models.ErrUnknownToken,
			`models: block "r1_k3_s11_e1_i32_c16": token "c16": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"r1_k3_s11_einf_i32_o16", models.ErrUnknownToken,
			`models: block "r1_k3_s11_einf_i32_o16": token "einf": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"r1_k3_s11_e1_i32_o16_noskip1", models.ErrUnknownToken,
			`models: block "r1_k3_s11_e1_i32_o16_noskip1": token "noskip1": unknown token ("noskip" takes no value)`},
		{"r1_k3_s11_e1_i32_o16_skip", models.ErrUnknownToken,
			`models: block "r1_k3_s11_e1_i32_o16_skip": token "skip": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},

		// duplicate tokens
		{"r1_k3_k5_s11_e1_i32_o16", models.ErrDuplicateToken,
			`models: block "r1_k3_k5_s11_e1_i32_o16": token "k5": duplicate token: kernel size already given as "k3"`},
		{"r1_k3_s11_e1_i32_o16_noskip_noskip", models.ErrDuplicateToken,
			`models: block "r1_k3_s11_e1_i32_o16_noskip_noskip": token "noskip": duplicate token: noskip already given as "noskip"`},
		{"r1_k3_s11_e1_i32_o16_se0.25_se0.5", models.ErrDuplicateToken,
			`models: block "r1_k3_s11_e1_i32_o16_se0.25_se0.5": token "se0.5": duplicate token: squeeze-excite ratio already given as "se0.25"`},
		{"r1_k3_s11_e1_i32_o16_nonlocal0.25_nonlocal0.25-2", models.ErrDuplicateToken,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal0.25_nonlocal0.25-2": token "nonlocal0.25-2": duplicate token: LightNL already given as "nonlocal0.25"`},

		// missing tokens
		{"k3_s11_e1_i32_o16", models.ErrMissingToken,
			`models: block "k3_s11_e1_i32_o16": missing required token "r" (repeats)`},
		{"r1_s11_e1_i32_o16", models.ErrMissingToken,
			`models: block "r1_s11_e1_i32_o16": missing required token "k" (kernel size)`},
		{"r1_k3_e1_i32_o16", models.ErrMissingToken,
			`models: block "r1_k3_e1_i32_o16": missing required token "s" (strides)`},
		{"r1_k3_s11_i32_o16", models.ErrMissingToken,
			`models: block "r1_k3_s11_i32_o16": missing required token "e" (expansion ratio)`},
		{"r1_k3_s11_e1_o16", models.ErrMissingToken,
			`models: block "r1_k3_s11_e1_o16": missing required token "i" (input width)`},
		{"r1_k3_s11_e1_i32", models.ErrMissingToken,
			`models: block "r1_k3_s11_e1_i32": missing required token "o" (output width)`},
		{"noskip_se0.25", models.ErrMissingToken,
			`models: block "noskip_se0.25": missing required tokens "r" (repeats), "k" (kernel size), "s" (strides), "e" (expansion ratio), "i" (input width), "o" (output width)`},

		// bad numbers
		{"r1_k3x_s11_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3x_s11_e1_i32_o16": token "k3x": bad number "3x" for kernel size: want an unsigned decimal integer`},
		{"r1_k_s11_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k_s11_e1_i32_o16": token "k": bad number: missing value for kernel size`},
		{"r1_k03_s11_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k03_s11_e1_i32_o16": token "k03": bad number "03" for kernel size: leading zero`},
		{"r1.5_k3_s11_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1.5_k3_s11_e1_i32_o16": token "r1.5": bad number "1.5" for repeats: want an unsigned decimal integer`},
		{"r1_k3_s11_e1_i+32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i+32_o16": token "i+32": bad number "+32" for input width: want an unsigned decimal integer`},
		{"r1_k3_s11_e1_i32_o-16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o-16": token "o-16": bad number "-16" for output width: want an unsigned decimal integer`},
		{"r1_k3_s11_e.5_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e.5_i32_o16": token "e.5": bad number ".5" for expansion ratio: want an unsigned decimal like 6 or 0.25`},
		{"r1_k3_s11_e5._i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e5._i32_o16": token "e5.": bad number "5." for expansion ratio: want an unsigned decimal like 6 or 0.25`},
		{"r1_k3_s11_e1.2.3_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1.2.3_i32_o16": token "e1.2.3": bad number "1.2.3" for expansion ratio: want an unsigned decimal like 6 or 0.25`},
		{"r1_k3_s11_e6E0_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e6E0_i32_o16": token "e6E0": bad number "6E0" for expansion ratio: want an unsigned decimal like 6 or 0.25`},
		{"r1_k3_s11_e06_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_e06_i32_o16": token "e06": bad number "06" for expansion ratio: leading zero`},
		{"r1_k3_s11_e1_i32_o16_se", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_se": token "se": bad number: missing value for squeeze-excite ratio`},
		{"r1_k3_s_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s_e1_i32_o16": token "s": bad number "" for strides: want one or two digits`},
		{"r1_k3_s222_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s222_e1_i32_o16": token "s222": bad number "222" for strides: want one or two digits`},
		{"r1_k3_s2x_e1_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s2x_e1_i32_o16": token "s2x": bad number "2x" for strides: want one or two digits`},
		{"r1_k3_s11_e1_i32_o16_nonlocal", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal": token "nonlocal": bad number: missing value for LightNL channel ratio`},
		{"r1_k3_s11_e1_i32_o16_nonlocal-2", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal-2": token "nonlocal-2": bad number: missing value for LightNL channel ratio`},
		{"r1_k3_s11_e1_i32_o16_nonlocal0.25-", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal0.25-": token "nonlocal0.25-": bad number: missing value for LightNL key stride`},
		{"r1_k3_s11_e1_i32_o16_nonlocal0.25-s2", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal0.25-s2": token "nonlocal0.25-s2": bad number "s2" for LightNL key stride: want an unsigned decimal integer`},
		{"r1_k3_s11_e1_i32_o16_nonlocal0.25-2-2", models.ErrBadNumber,
			`models: block "r1_k3_s11_e1_i32_o16_nonlocal0.25-2-2": token "nonlocal0.25-2-2": bad number "2-2" for LightNL key stride: want an unsigned decimal integer`},
		{"r1_k3_s11_eNaN_i32_o16", models.ErrBadNumber,
			`models: block "r1_k3_s11_eNaN_i32_o16": token "eNaN": bad number "NaN" for expansion ratio: want an unsigned decimal like 6 or 0.25`},

		// out of range
		{"r0_k3_s11_e1_i32_o16", models.ErrOutOfRange,
			`models: block "r0_k3_s11_e1_i32_o16": token "r0": repeats must be at least 1`},
		{"r2147483648_k3_s11_e1_i32_o16", models.ErrOutOfRange,
			`models: block "r2147483648_k3_s11_e1_i32_o16": token "r2147483648": repeats must be at most 64`},
		{"r65_k3_s11_e1_i32_o16", models.ErrOutOfRange,
			`models: block "r65_k3_s11_e1_i32_o16": token "r65": repeats must be at most 64`},
		{"r1_k3_s11_e1_i16_o999999999", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i16_o999999999": token "o999999999": output width must be at most 16384`},
		{"r1_k3_s11_e100000_i16_o16", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e100000_i16_o16": token "e100000": expansion ratio must be at most 64`},
		{"r1_k3_s11_e64_i1000_o16", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e64_i1000_o16": token "e64": hidden width 64000 (input width × expansion ratio) must be at most 16384`},
		{"r1_k999999_s11_e1_i16_o16", models.ErrOutOfRange,
			`models: block "r1_k999999_s11_e1_i16_o16": token "k999999": kernel size must be at most 31`},
		{"r1_k4_s22_e6_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k4_s22_e6_i40_o80": token "k4": kernel size must be odd`},
		{"r1_k0_s22_e6_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k0_s22_e6_i40_o80": token "k0": kernel size must be at least 1`},
		{"r1_k3_s01_e6_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s01_e6_i40_o80": token "s01": strides must be between 1 and 9`},
		{"r1_k3_s0_e6_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s0_e6_i40_o80": token "s0": strides must be between 1 and 9`},
		{"r1_k3_s11_e0_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e0_i40_o80": token "e0": expansion ratio must be positive and finite`},
		{"r1_k3_s11_e0.000_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e0.000_i40_o80": token "e0.000": expansion ratio must be positive and finite`},
		{"r1_k3_s11_e1" + strings.Repeat("0", 400) + "_i40_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1` + strings.Repeat("0", 48) + `"… (420 bytes): token "e1` + strings.Repeat("0", 58) + `"… (402 bytes): expansion ratio is too large`},
		{"r1_k3_s11_e1_i40_o80_" + strings.Repeat("x", 10000), models.ErrUnknownToken,
			`models: block "r1_k3_s11_e1_i40_o80_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (10021 bytes): token "` + strings.Repeat("x", 60) + `"… (10000 bytes): unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{strings.Repeat("r", 10000), models.ErrUnknownToken,
			`models: block "` + strings.Repeat("r", 60) + `"… (10000 bytes): unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`},
		{"r1_k3_s11_e1_i0_o80", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i0_o80": token "i0": input width must be at least 1`},
		{"r1_k3_s11_e1_i8_o0", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o0": token "o0": output width must be at least 1`},
		{"r1_k3_s11_e1_i8_o99999999999999999999", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o99999999999999999999": token "o99999999999999999999": output width must be at most 16384`},
		{"r1_k3_s11_e1_i8_o8_se0", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_se0": token "se0": squeeze-excite ratio must be in (0, 1]`},
		{"r1_k3_s11_e1_i8_o8_se1.5", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_se1.5": token "se1.5": squeeze-excite ratio must be in (0, 1]`},
		{"r1_k3_s11_e1_i8_o8_nonlocal0", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_nonlocal0": token "nonlocal0": LightNL channel ratio must be in (0, 1]`},
		{"r1_k3_s11_e1_i8_o8_nonlocal2-2", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_nonlocal2-2": token "nonlocal2-2": LightNL channel ratio must be in (0, 1]`},
		{"r1_k3_s11_e1_i8_o8_nonlocal0.25-0", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_nonlocal0.25-0": token "nonlocal0.25-0": LightNL key stride must be at least 1`},
		{"r1_k3_s11_e1_i8_o8_nonlocal0.25-3000000000", models.ErrOutOfRange,
			`models: block "r1_k3_s11_e1_i8_o8_nonlocal0.25-3000000000": token "nonlocal0.25-3000000000": LightNL key stride must be at most 9`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b, err := models.ParseBlock(tc.in)
			require.Error(t, err)
			require.Equal(t, models.BlockSpec{}, b)
			require.ErrorIs(t, err, tc.kind)
			require.EqualError(t, err, tc.msg)
			var ae *models.ArchError
			require.ErrorAs(t, err, &ae)
			require.Zero(t, ae.Block)
			require.Zero(t, ae.Line)
			require.Equal(t, strings.TrimSpace(tc.in), ae.Text)
		})
	}
}

func TestParseBlockFirstErrorWins(t *testing.T) {
	// Tokens are checked left to right; the first bad one is reported,
	// before missing tokens.
	_, err := models.ParseBlock("k4_r0")
	require.EqualError(t, err, `models: block "k4_r0": token "k4": kernel size must be odd`)
	var ae *models.ArchError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "k4", ae.Token)
	require.Equal(t, "kernel size must be odd", ae.Msg)
}

const sampleArch = `
# A small arch: stem 32.
r1_k3_s11_e1_i32_o16_noskip      # stage 0

r2_k3_s2_e6_i16_o24
  o40_i24_e3_s22_k5_r3_se0.25	# reordered, indented
r1_k3_s11_e6_i40_o80_nonlocal0.25-2
`

var sampleBlocks = []models.BlockSpec{
	{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 1, In: 32, Out: 16, NoSkip: true},
	{Repeats: 2, Kernel: 3, Strides: [2]int{2, 2}, Expand: 6, In: 16, Out: 24},
	{Repeats: 3, Kernel: 5, Strides: [2]int{2, 2}, Expand: 3, In: 24, Out: 40, SE: 0.25},
	{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 6, In: 40, Out: 80, NonLocal: models.LightNLSpec{Ratio: 0.25, Stride: 2}},
}

func TestParseArch(t *testing.T) {
	blocks, err := models.ParseArch(sampleArch)
	require.NoError(t, err)
	require.Equal(t, sampleBlocks, blocks)

	// CRLF line ends and a text without a final newline.
	blocks, err = models.ParseArch(strings.ReplaceAll(strings.TrimSpace(sampleArch), "\n", "\r\n"))
	require.NoError(t, err)
	require.Equal(t, sampleBlocks, blocks)

	blocks, err = models.ParseArchLines(strings.Split(sampleArch, "\n"))
	require.NoError(t, err)
	require.Equal(t, sampleBlocks, blocks)

	require.Equal(t, sampleBlocks, models.MustParseArch(sampleArch))

	canonical := "r1_k3_s11_e1_i32_o16_noskip\nr2_k3_s22_e6_i16_o24\nr3_k5_s22_e3_i24_o40_se0.25\nr1_k3_s11_e6_i40_o80_nonlocal0.25-2\n"
	require.Equal(t, canonical, models.FormatArch(blocks))
	again, err := models.ParseArch(models.FormatArch(blocks))
	require.NoError(t, err)
	require.Equal(t, blocks, again)
	require.NoError(t, models.CheckArch(blocks))
}

func TestParseArchErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		kind  error
		msg   string
		block int
		line  int
	}{
		{
			name: "bad kernel in block 3 on line 5",
			lines: []string{
				"# MnasNet-like",
				"r1_k3_s11_e1_i32_o16_noskip",
				"",
				"r2_k3_s22_e6_i16_o24  # two",
				"  r1_k4_s22_e6_i24_o40   # bad",
			},
			kind: models.ErrOutOfRange, block: 3, line: 5,
			msg: `models: block 3 (line 5) "r1_k4_s22_e6_i24_o40": token "k4": kernel size must be odd`,
		},
		{
			name:  "unknown token in block 1",
			lines: []string{"", "r1_k3_s11_e1_i32_o16_relu"},
			kind:  models.ErrUnknownToken, block: 1, line: 2,
			msg: `models: block 1 (line 2) "r1_k3_s11_e1_i32_o16_relu": token "relu": unknown token (want r, k, s, e, i, o, se, noskip or nonlocal)`,
		},
		{
			name:  "missing token",
			lines: []string{"r1_k3_s11_e1_i32_o16", "r1_k3_s11_i16_o16"},
			kind:  models.ErrMissingToken, block: 2, line: 2,
			msg: `models: block 2 (line 2) "r1_k3_s11_i16_o16": missing required token "e" (expansion ratio)`,
		},
		{
			name: "widths do not chain",
			lines: []string{
				"r1_k3_s11_e1_i32_o16_noskip",
				"# comment",
				"r2_k3_s22_e6_i16_o24",
				"r3_k5_s22_e3_i40_o40 # should be i24",
			},
			kind: models.ErrWidthMismatch, block: 3, line: 4,
			msg: `models: block 3 (line 4) "r3_k5_s22_e3_i40_o40": token "i40": input width 40 does not match output width 24 of block 2 (line 3) "r2_k3_s22_e6_i16_o24"`,
		},
		{
			name:  "no blocks",
			lines: []string{"", "# nothing", "   "},
			kind:  models.ErrNoBlocks,
			msg:   `models: arch has no blocks`,
		},
		{
			name: "empty",
			kind: models.ErrNoBlocks,
			msg:  `models: arch has no blocks`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, parse := range []func() ([]models.BlockSpec, error){
				func() ([]models.BlockSpec, error) { return models.ParseArchLines(tc.lines) },
				func() ([]models.BlockSpec, error) { return models.ParseArch(strings.Join(tc.lines, "\n")) },
			} {
				blocks, err := parse()
				require.Nil(t, blocks)
				require.ErrorIs(t, err, tc.kind)
				require.EqualError(t, err, tc.msg)
				var ae *models.ArchError
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.block, ae.Block)
				require.Equal(t, tc.line, ae.Line)
			}
			if tc.kind != models.ErrNoBlocks {
				require.PanicsWithError(t, tc.msg, func() { models.MustParseArch(strings.Join(tc.lines, "\n")) })
			}
		})
	}
}

func TestCheckArch(t *testing.T) {
	require.NoError(t, models.CheckArch(sampleBlocks))
	require.NoError(t, models.CheckArch(models.Unroll(sampleBlocks)))

	err := models.CheckArch(nil)
	require.ErrorIs(t, err, models.ErrNoBlocks)

	bad := append([]models.BlockSpec(nil), sampleBlocks...)
	bad[2].In = 40
	err = models.CheckArch(bad)
	require.ErrorIs(t, err, models.ErrWidthMismatch)
	require.EqualError(t, err, `models: block 3 "r3_k5_s22_e3_i40_o40_se0.25": token "i40": input width 40 does not match output width 24 of block 2 "r2_k3_s22_e6_i16_o24"`)

	bad = append([]models.BlockSpec(nil), sampleBlocks...)
	bad[1].Kernel = 4
	err = models.CheckArch(bad)
	require.ErrorIs(t, err, models.ErrOutOfRange)
	require.EqualError(t, err, `models: block 2 "r2_k4_s22_e6_i16_o24": token "k4": kernel size must be odd`)
}

func TestValidate(t *testing.T) {
	ok := models.BlockSpec{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 6, In: 8, Out: 8}
	require.NoError(t, ok.Validate())
	for _, tc := range []struct {
		edit func(*models.BlockSpec)
		msg  string
	}{
		{func(b *models.BlockSpec) { b.Repeats = 0 }, `models: block "r0_k3_s11_e6_i8_o8": token "r0": repeats must be at least 1`},
		{func(b *models.BlockSpec) { b.Repeats = math.MaxInt32 + 1 }, `models: block "r2147483648_k3_s11_e6_i8_o8": token "r2147483648": repeats must be at most 64`},
		{func(b *models.BlockSpec) { b.Kernel = 33 }, `models: block "r1_k33_s11_e6_i8_o8": token "k33": kernel size must be at most 31`},
		{func(b *models.BlockSpec) { b.Expand = 65 }, `models: block "r1_k3_s11_e65_i8_o8": token "e65": expansion ratio must be at most 64`},
		{func(b *models.BlockSpec) { b.In = 16385 }, `models: block "r1_k3_s11_e6_i16385_o8": token "i16385": input width must be at most 16384`},
		{func(b *models.BlockSpec) { b.In = 4096 }, `models: block "r1_k3_s11_e6_i4096_o8": token "e6": hidden width 24576 (input width × expansion ratio) must be at most 16384`},
		{func(b *models.BlockSpec) { b.NonLocal = models.LightNLSpec{Ratio: 0.25, Stride: 10} }, `models: block "r1_k3_s11_e6_i8_o8_nonlocal0.25-10": token "nonlocal0.25-10": LightNL key stride must be at most 9`},
		{func(b *models.BlockSpec) { b.Kernel = -3 }, `models: block "r1_k-3_s11_e6_i8_o8": token "k-3": kernel size must be at least 1`},
		{func(b *models.BlockSpec) { b.Kernel = 2 }, `models: block "r1_k2_s11_e6_i8_o8": token "k2": kernel size must be odd`},
		{func(b *models.BlockSpec) { b.Strides = [2]int{} }, `models: block "r1_k3_s00_e6_i8_o8": token "s00": strides must be between 1 and 9`},
		{func(b *models.BlockSpec) { b.Strides = [2]int{1, 10} }, `models: block "r1_k3_s110_e6_i8_o8": token "s110": strides must be between 1 and 9`},
		{func(b *models.BlockSpec) { b.Expand = 0 }, `models: block "r1_k3_s11_e0_i8_o8": token "e0": expansion ratio must be positive and finite`},
		{func(b *models.BlockSpec) { b.Expand = math.NaN() }, `models: block "r1_k3_s11_eNaN_i8_o8": token "eNaN": expansion ratio must be positive and finite`},
		{func(b *models.BlockSpec) { b.Expand = math.Inf(1) }, `models: block "r1_k3_s11_e+Inf_i8_o8": token "e+Inf": expansion ratio must be positive and finite`},
		{func(b *models.BlockSpec) { b.In = 0 }, `models: block "r1_k3_s11_e6_i0_o8": token "i0": input width must be at least 1`},
		{func(b *models.BlockSpec) { b.Out = -1 }, `models: block "r1_k3_s11_e6_i8_o-1": token "o-1": output width must be at least 1`},
		{func(b *models.BlockSpec) { b.SE = 1.25 }, `models: block "r1_k3_s11_e6_i8_o8_se1.25": token "se1.25": squeeze-excite ratio must be in (0, 1]`},
		{func(b *models.BlockSpec) { b.SE = -0.25 }, `models: block "r1_k3_s11_e6_i8_o8_se-0.25": token "se-0.25": squeeze-excite ratio must be in (0, 1]`},
		{func(b *models.BlockSpec) { b.SE = math.NaN() }, `models: block "r1_k3_s11_e6_i8_o8_seNaN": token "seNaN": squeeze-excite ratio must be in (0, 1]`},
		{func(b *models.BlockSpec) { b.NonLocal = models.LightNLSpec{Ratio: 0.25} }, `models: block "r1_k3_s11_e6_i8_o8_nonlocal0.25-0": token "nonlocal0.25-0": LightNL key stride must be at least 1`},
		{func(b *models.BlockSpec) { b.NonLocal = models.LightNLSpec{Stride: 2} }, `models: block "r1_k3_s11_e6_i8_o8": token "nonlocal0-2": LightNL key stride given without a channel ratio`},
		{func(b *models.BlockSpec) { b.NonLocal = models.LightNLSpec{Ratio: 1.5, Stride: 1} }, `models: block "r1_k3_s11_e6_i8_o8_nonlocal1.5": token "nonlocal1.5": LightNL channel ratio must be in (0, 1]`},
	} {
		b := ok
		tc.edit(&b)
		err := b.Validate()
		require.ErrorIs(t, err, models.ErrOutOfRange, tc.msg)
		require.EqualError(t, err, tc.msg)
	}
}

func TestHasSkipSENonLocal(t *testing.T) {
	for _, tc := range []struct {
		s                  string
		skip, se, nonLocal bool
	}{
		{"r1_k3_s11_e1_i16_o16", true, false, false},
		{"r1_k3_s11_e1_i16_o16_noskip", false, false, false},
		{"r1_k3_s22_e1_i16_o16", false, false, false},
		{"r1_k3_s12_e1_i16_o16", false, false, false},
		{"r1_k3_s11_e1_i16_o24_se0.25", false, true, false},
		{"r1_k3_s11_e1_i24_o24_se0.25_nonlocal0.25-2", true, true, true},
	} {
		b, err := models.ParseBlock(tc.s)
		require.NoError(t, err)
		require.Equal(t, tc.skip, b.HasSkip(), tc.s)
		require.Equal(t, tc.se, b.HasSE(), tc.s)
		require.Equal(t, tc.nonLocal, b.HasNonLocal(), tc.s)
	}
}

func TestExpand(t *testing.T) {
	layers := models.Unroll(sampleBlocks)
	want := []models.BlockSpec{
		{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 1, In: 32, Out: 16, NoSkip: true},
		{Repeats: 1, Kernel: 3, Strides: [2]int{2, 2}, Expand: 6, In: 16, Out: 24},
		{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 6, In: 24, Out: 24},
		{Repeats: 1, Kernel: 5, Strides: [2]int{2, 2}, Expand: 3, In: 24, Out: 40, SE: 0.25},
		{Repeats: 1, Kernel: 5, Strides: [2]int{1, 1}, Expand: 3, In: 40, Out: 40, SE: 0.25},
		{Repeats: 1, Kernel: 5, Strides: [2]int{1, 1}, Expand: 3, In: 40, Out: 40, SE: 0.25},
		{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 6, In: 40, Out: 80, NonLocal: models.LightNLSpec{Ratio: 0.25, Stride: 2}},
	}
	require.Equal(t, want, layers)
	require.Equal(t, want, models.Unroll(layers), "an expanded list expands to itself")
	require.Equal(t, []bool{false, false, true, false, true, true, false}, skips(layers))

	// Repeats of a noskip block keep noskip; anisotropic strides apply only
	// to the first layer.
	b := models.BlockSpec{Repeats: 2, Kernel: 3, Strides: [2]int{1, 2}, Expand: 1, In: 8, Out: 8, NoSkip: true}
	require.Equal(t, []models.BlockSpec{
		{Repeats: 1, Kernel: 3, Strides: [2]int{1, 2}, Expand: 1, In: 8, Out: 8, NoSkip: true},
		{Repeats: 1, Kernel: 3, Strides: [2]int{1, 1}, Expand: 1, In: 8, Out: 8, NoSkip: true},
	}, models.Unroll([]models.BlockSpec{b}))

	require.Empty(t, models.Unroll(nil))
	require.Empty(t, models.Unroll([]models.BlockSpec{{Repeats: 0}, {Repeats: -3}}))
}

func skips(layers []models.BlockSpec) []bool {
	out := make([]bool, len(layers))
	for i, l := range layers {
		out[i] = l.HasSkip()
	}
	return out
}

// randomBlock draws a valid BlockSpec, mixing typical values with extreme
// and awkward ones (long decimal expansions, subnormals, range limits).
func randomBlock(rng *rand.Rand) models.BlockSpec {
	pickInt := func(limit int, typical ...int) int {
		switch rng.IntN(4) {
		case 0:
			return 1 + rng.IntN(limit)
		case 1:
			return limit
		default:
			return typical[rng.IntN(len(typical))]
		}
	}
	ratio := func() float64 { // in (0, 1]
		switch rng.IntN(6) {
		case 0:
			return 1 - rng.Float64()
		case 1:
			return math.SmallestNonzeroFloat64
		case 2:
			return math.Nextafter(1, 0)
		case 3:
			return 0.1 + 0.2 - 0.2999999 // a float with a long shortest form
		default:
			return []float64{0.25, 0.5, 0.125, 1, 1.0 / 3}[rng.IntN(5)]
		}
	}
	b := models.BlockSpec{
		Repeats: pickInt(models.MaxRepeats, 1, 2, 3, 4),
		Kernel:  2*rng.IntN(8) + 1,
		Strides: [2]int{1 + rng.IntN(9), 1 + rng.IntN(9)},
		In:      pickInt(models.MaxWidth, 16, 24, 40, 80, 96, 192, 320),
		Out:     pickInt(models.MaxWidth, 16, 24, 40, 80, 96, 192, 320),
	}
	if rng.IntN(10) == 0 {
		b.Kernel = 2*rng.IntN(models.MaxKernel/2+1) + 1
	}
	switch rng.IntN(5) {
	case 0:
		b.Expand = rng.Float64()*20 + math.SmallestNonzeroFloat64
	case 1:
		b.Expand = max(models.MaxExpand*rng.Float64(), math.SmallestNonzeroFloat64)
	case 2:
		b.Expand = ratio()
	default:
		b.Expand = []float64{1, 3, 4.5, 6}[rng.IntN(4)]
	}
	if rng.IntN(2) == 0 {
		b.SE = ratio()
	}
	b.NoSkip = rng.IntN(3) == 0
	if rng.IntN(2) == 0 {
		b.NonLocal = models.LightNLSpec{Ratio: ratio(), Stride: pickInt(models.MaxStride, 1, 1, 2)}
	}
	if float64(b.In)*b.Expand > models.MaxWidth { // keep the hidden width in range
		b.In = max(1, int(models.MaxWidth/b.Expand))
	}
	return b
}

func TestRoundTripGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		b := randomBlock(rng)
		require.NoError(t, b.Validate(), "%#v", b)
		s := b.String()
		got, err := models.ParseBlock(s)
		require.NoError(t, err, s)
		require.Equal(t, b, got, s)
		require.Equal(t, s, got.String())
	}
}

func TestCanonicalForm(t *testing.T) {
	// Every spelling of the same block prints the same canonical string.
	canonical := "r2_k5_s22_e4.5_i24_o40_se0.25_noskip_nonlocal0.5"
	for _, s := range []string{
		canonical,
		"r2_k5_s2_e4.5_i24_o40_se0.25_noskip_nonlocal0.5",
		"r2_k5_s22_e4.50_i24_o40_se0.2500_noskip_nonlocal0.5-1",
		"nonlocal0.50-1_noskip_se0.25_o40_i24_e4.5_s2_k5_r2",
		"e4.5_r2_noskip_o40_k5_nonlocal0.5_i24_se0.25_s22",
	} {
		b, err := models.ParseBlock(s)
		require.NoError(t, err, s)
		require.Equal(t, canonical, b.String(), s)
	}
}
