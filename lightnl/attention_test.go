package lightnl_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/tensor"
)

// keyMask returns the 1×rc×(h·w) key scale that keeps the first keep
// channels and, with stride s, the positions of the strided grid
// (rows and columns that are multiples of s), and zeroes the rest.
func keyMask(rc, keep, h, w, s int) *tensor.Tensor {
	m := tensor.New(1, rc, h*w)
	for c := range keep {
		for i := 0; i < h; i += s {
			for j := 0; j < w; j += s {
				m.Set(1, 0, c, i*w+j)
			}
		}
	}
	return m
}

// A key scale that zeroes channels and off-grid positions of stride-1 keys
// gives the attention of a smaller channel ratio and a larger key stride:
// the relaxation the search uses for both choices.
func TestKeyScaleSelectsRatioAndStride(t *testing.T) {
	for _, s := range []struct{ n, c, h, w, rc, keep, stride int }{
		{2, 16, 8, 8, 4, 2, 2},
		{2, 16, 7, 9, 4, 2, 2},
		{1, 24, 6, 6, 6, 3, 1},
		{2, 8, 5, 5, 2, 2, 2},
		{2, 12, 9, 7, 3, 1, 3},
	} {
		for _, order := range []lightnl.Order{lightnl.OrderA, lightnl.OrderB} {
			rng := newRNG(11)
			x := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
			var got, want *tensor.Tensor
			autograd.NoGrad(func() {
				got = lightnl.Attention(autograd.Const(x), lightnl.AttentionConfig{
					Reduced: s.rc, Order: order,
					KeyScale: autograd.Const(keyMask(s.rc, s.keep, s.h, s.w, s.stride)),
				}).Value
				want = lightnl.Attention(autograd.Const(x), lightnl.AttentionConfig{
					Reduced: s.keep, Stride: s.stride, Order: order,
				}).Value
			})
			requireClose(t, got, want, fmt.Sprintf("%+v order %v", s, order))
		}
	}
}

// Gradients of the input and of the key scale (both shapes) through both
// orders, against finite differences.
func TestAttentionKeyScaleGrad(t *testing.T) {
	for _, s := range []struct{ n, c, h, w, rc, stride, scaleN int }{
		{2, 8, 4, 4, 2, 1, 1},
		{2, 6, 5, 4, 3, 2, 2},
		{1, 4, 3, 3, 4, 1, 1},
	} {
		for _, order := range []lightnl.Order{lightnl.OrderA, lightnl.OrderB} {
			rng := newRNG(12)
			m := ((s.h + s.stride - 1) / s.stride) * ((s.w + s.stride - 1) / s.stride) // ⌈H/s⌉·⌈W/s⌉ keys
			x := tensor.Normal(rng, 0, 1, s.n, s.c, s.h, s.w)
			ks := tensor.Normal(rng, 0.5, 1, s.scaleN, s.rc, m)
			f := func(in ...*autograd.Var) *autograd.Var {
				return lightnl.Attention(in[0], lightnl.AttentionConfig{Reduced: s.rc, Stride: s.stride, Order: order, KeyScale: in[1]})
			}
			rep := autograd.CheckGrad(f, x, ks)
			require.Less(t, rep.Error, 2e-3, "%+v order %v: %v", s, order, rep)
		}
	}
}

func TestAttentionPanics(t *testing.T) {
	x := autograd.Const(tensor.New(2, 8, 4, 4))
	for _, tc := range []struct {
		opts lightnl.AttentionConfig
		msg  string
	}{
		{lightnl.AttentionConfig{Reduced: 0}, "lightnl: Attention: 0 query channels for an input [2 8 4 4] of 8 channels; want 1..8"},
		{lightnl.AttentionConfig{Reduced: 9}, "lightnl: Attention: 9 query channels for an input [2 8 4 4] of 8 channels; want 1..8"},
		{lightnl.AttentionConfig{Reduced: 2, Stride: -1}, "lightnl: Attention: negative key stride -1"},
		{lightnl.AttentionConfig{Reduced: 2, Stride: 2, KeyScale: autograd.Const(tensor.New(1, 2, 16))},
			"lightnl: Attention: key scale of shape [1 2 16] for keys 2×2×4; want 1×2×4 or 2×2×4"},
	} {
		require.PanicsWithValue(t, tc.msg, func() { lightnl.Attention(x, tc.opts) })
	}
	require.PanicsWithValue(t, "lightnl: Attention: input [8 4 4] is not 4-D N×C×H×W", func() {
		lightnl.Attention(autograd.Const(tensor.New(8, 4, 4)), lightnl.AttentionConfig{Reduced: 1})
	})
}
