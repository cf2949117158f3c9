package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// convCase is one convolution configuration of the reference tests.
type convCase struct {
	n, c, h, w  int
	cout        int
	kh, kw      int
	stride, pad [2]int
	dil         [2]int
	groups      int
}

func (tc convCase) params() Conv2DConfig {
	return Conv2DConfig{Stride: tc.stride, Padding: tc.pad, Dilation: tc.dil, Groups: tc.groups}
}

func (tc convCase) String() string {
	return fmt.Sprintf("x [%d %d %d %d] w [%d %d %d %d] stride %v pad %v dil %v groups %d",
		tc.n, tc.c, tc.h, tc.w, tc.cout, tc.c/tc.groups, tc.kh, tc.kw, tc.stride, tc.pad, tc.dil, tc.groups)
}

// refConv holds the naive 7-loop reference convolution and its adjoints,
// written independently of the package's geometry code.
type refConv struct {
	convCase
	cg, og, ho, wo int
}

func newRefConv(tc convCase) (refConv, bool) {
	r := refConv{convCase: tc, cg: tc.c / tc.groups, og: tc.cout / tc.groups}
	r.ho = (tc.h+2*tc.pad[0]-tc.dil[0]*(tc.kh-1)-1)/tc.stride[0] + 1
	r.wo = (tc.w+2*tc.pad[1]-tc.dil[1]*(tc.kw-1)-1)/tc.stride[1] + 1
	ok := tc.h+2*tc.pad[0] >= tc.dil[0]*(tc.kh-1)+1 && tc.w+2*tc.pad[1] >= tc.dil[1]*(tc.kw-1)+1
	return r, ok
}

// check checks Conv2D, Conv2DGradInput and Conv2DGradWeight with the
// parameters of tc (r's case, maybe before normalization) against r on x,
// w and dy drawn from rng: the shapes exactly, the values within 1e-5.
func (r refConv) check(t *testing.T, rng *rand.Rand, tc convCase) {
	t.Helper()
	x := denseRandn(rng, r.n, r.c, r.h, r.w)
	w := denseRandn(rng, r.cout, r.cg, r.kh, r.kw)
	dy := denseRandn(rng, r.n, r.cout, r.ho, r.wo)
	p := tc.params()

	require.Equal(t, []int{r.n, r.cout, r.ho, r.wo}, Conv2DOutputShape(x.Shape(), w.Shape(), p), "%v", tc)
	y := Conv2D(x, w, p)
	require.Equal(t, []int{r.n, r.cout, r.ho, r.wo}, y.Shape(), "%v", tc)
	requireCloseTo64(t, r.forward(x.Data(), w.Data()), y.Data(), 1e-5, "Conv2D %v", tc)

	dx := Conv2DGradInput(dy, w, x.Shape(), p)
	require.Equal(t, x.Shape(), dx.Shape())
	requireCloseTo64(t, r.gradInput(dy.Data(), w.Data()), dx.Data(), 1e-5, "Conv2DGradInput %v", tc)

	dw := Conv2DGradWeight(x, dy, w.Shape(), p)
	require.Equal(t, w.Shape(), dw.Shape())
	requireCloseTo64(t, r.gradWeight(x.Data(), dy.Data()), dw.Data(), 1e-5, "Conv2DGradWeight %v", tc)
}

// each calls f for every term y[n,o,i,j] += x[xi]·w[wi] of the convolution,
// with the flat indices into y, x and w.
func (r refConv) each(f func(yi, xi, wi int)) {
	for n := range r.n {
		for o := range r.cout {
			g := o / r.og
			for i := range r.ho {
				for j := range r.wo {
					for c := range r.cg {
						for p := range r.kh {
							for q := range r.kw {
								h := i*r.stride[0] - r.pad[0] + p*r.dil[0]
								v := j*r.stride[1] - r.pad[1] + q*r.dil[1]
								if h < 0 || h >= r.h || v < 0 || v >= r.w {
									continue
								}
								yi := ((n*r.cout+o)*r.ho+i)*r.wo + j
								xi := ((n*r.c+g*r.cg+c)*r.h+h)*r.w + v
								wi := ((o*r.cg+c)*r.kh+p)*r.kw + q
								f(yi, xi, wi)
							}
						}
					}
				}
			}
		}
	}
}

func (r refConv) forward(x, w []float32) []float64 {
	y := make([]float64, r.n*r.cout*r.ho*r.wo)
	r.each(func(yi, xi, wi int) { y[yi] += float64(x[xi]) * float64(w[wi]) })
	return y
}

func (r refConv) gradInput(dy, w []float32) []float64 {
	dx := make([]float64, r.n*r.c*r.h*r.w)
	r.each(func(yi, xi, wi int) { dx[xi] += float64(dy[yi]) * float64(w[wi]) })
	return dx
}

func (r refConv) gradWeight(x, dy []float32) []float64 {
	dw := make([]float64, r.cout*r.cg*r.kh*r.kw)
	r.each(func(yi, xi, wi int) { dw[wi] += float64(dy[yi]) * float64(x[xi]) })
	return dw
}

// convGrid returns the configurations of the reference tests: every
// combination of groups (1, 2, C), stride, padding, dilation and kernel
// size on a non-square odd input, plus asymmetric and special cases.
func convGrid() []convCase {
	var cases []convCase
	for _, groups := range []int{1, 2, 4} {
		for _, s := range []int{1, 2} {
			for _, pad := range []int{0, 1, 2} {
				for _, d := range []int{1, 2} {
					for _, k := range []int{1, 3, 5, 7} {
						cout := 4
						if groups == 4 && k == 3 {
							cout = 8 // depthwise with channel multiplier 2
						}
						cases = append(cases, convCase{n: 2, c: 4, h: 9, w: 11, cout: cout, kh: k, kw: k,
							stride: [2]int{s, s}, pad: [2]int{pad, pad}, dil: [2]int{d, d}, groups: groups})
					}
				}
			}
		}
	}
	return append(cases,
		// Asymmetric kernel, stride, padding and dilation.
		convCase{n: 2, c: 3, h: 7, w: 10, cout: 5, kh: 3, kw: 5, stride: [2]int{2, 1}, pad: [2]int{0, 2}, dil: [2]int{1, 2}, groups: 1},
		convCase{n: 1, c: 6, h: 13, w: 5, cout: 4, kh: 5, kw: 1, stride: [2]int{1, 3}, pad: [2]int{2, 0}, dil: [2]int{2, 1}, groups: 2},
		convCase{n: 3, c: 6, h: 8, w: 9, cout: 6, kh: 3, kw: 3, stride: [2]int{2, 1}, pad: [2]int{1, 0}, dil: [2]int{1, 1}, groups: 6},
		// 1×1 stride-1 convolutions (plain matrix products), several
		// images across weight-gradient chunks.
		convCase{n: 9, c: 5, h: 3, w: 7, cout: 7, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 1},
		convCase{n: 5, c: 6, h: 5, w: 5, cout: 9, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 3},
		// 1×1 strided, im2col with a 1-element kernel.
		convCase{n: 2, c: 3, h: 6, w: 7, cout: 2, kh: 1, kw: 1, stride: [2]int{2, 3}, groups: 1},
		// Kernel exactly as large as the padded input: 1×1 output.
		convCase{n: 5, c: 2, h: 3, w: 4, cout: 3, kh: 5, kw: 6, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 1},
		// Single input channel, groups 1 (not depthwise).
		convCase{n: 2, c: 1, h: 6, w: 6, cout: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 1},
		// Depthwise 3-wide kernel on an input so narrow that no column
		// has all taps inside it.
		convCase{n: 1, c: 3, h: 5, w: 2, cout: 3, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 2}, groups: 3},
		// Zero stride and dilation mean 1.
		convCase{n: 1, c: 2, h: 5, w: 5, cout: 2, kh: 3, kw: 3, pad: [2]int{1, 1}, groups: 0},
	)
}

func (tc convCase) normalized() convCase {
	for i := range 2 {
		tc.stride[i] = orOne(tc.stride[i])
		tc.dil[i] = orOne(tc.dil[i])
	}
	tc.groups = orOne(tc.groups)
	return tc
}

func TestConv2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	require.Greater(t, checkConvCases(t, rng, convGrid(), nil), 120)
}

// checkConvCases checks each of cases that has an output and that use
// accepts (nil: all) with refConv.check, and returns how many it checked.
func checkConvCases(t *testing.T, rng *rand.Rand, cases []convCase, use func(convCase) bool) int {
	t.Helper()
	checked := 0
	for _, tc := range cases {
		ref, ok := newRefConv(tc.normalized())
		if !ok || use != nil && !use(tc) {
			continue
		}
		checked++
		ref.check(t, rng, tc)
	}
	return checked
}

// TestConv2DAdjointIdentity checks <conv(x,w), dy> = <x, gradInput(dy)> =
// <w, gradWeight(x, dy)> in float64 on larger shapes that take the
// parallel paths.
func TestConv2DAdjointIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	dot := func(a, b *Tensor) float64 {
		var s float64
		for i, v := range a.Data() {
			s += float64(v) * float64(b.Data()[i])
		}
		return s
	}
	for _, tc := range []convCase{
		{n: 6, c: 16, h: 20, w: 18, cout: 24, kh: 3, kw: 3, stride: [2]int{1, 1}, pad: [2]int{1, 1}, groups: 1},
		{n: 2, c: 32, h: 15, w: 15, cout: 32, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}, groups: 32},
		{n: 3, c: 24, h: 14, w: 14, cout: 48, kh: 1, kw: 1, stride: [2]int{1, 1}, groups: 1},
		{n: 2, c: 8, h: 17, w: 12, cout: 12, kh: 5, kw: 3, stride: [2]int{1, 2}, pad: [2]int{2, 1}, dil: [2]int{2, 1}, groups: 4},
	} {
		p := tc.params()
		x := denseRandn(rng, tc.n, tc.c, tc.h, tc.w)
		w := denseRandn(rng, tc.cout, tc.c/tc.groups, tc.kh, tc.kw)
		y := Conv2D(x, w, p)
		dy := denseRandn(rng, y.Shape()...)
		lhs := dot(y, dy)
		require.InEpsilon(t, lhs, dot(x, Conv2DGradInput(dy, w, x.Shape(), p)), 1e-4, "%v", tc)
		require.InEpsilon(t, lhs, dot(w, Conv2DGradWeight(x, dy, w.Shape(), p)), 1e-4, "%v", tc)
	}
}

func TestConv2DPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"groups do not divide C", func() { Conv2D(New(2, 8, 5, 5), New(3, 2, 3, 3), Conv2DConfig{Groups: 3}) },
			"tensor: Conv2D: groups 3 does not divide input channels 8 (x [2 8 5 5])"},
		{"groups do not divide Cout", func() { Conv2D(New(2, 8, 5, 5), New(6, 2, 3, 3), Conv2DConfig{Groups: 4}) },
			"tensor: Conv2D: groups 4 does not divide output channels 6 (w [6 2 3 3])"},
		{"weight channels", func() { Conv2D(New(2, 8, 5, 5), New(16, 3, 3, 3), Conv2DConfig{Groups: 2}) },
			"tensor: Conv2D: weight w [16 3 3 3] has 3 input channels per group, want C/groups = 8/2 = 4 (x [2 8 5 5])"},
		{"kernel too large", func() { Conv2D(New(1, 1, 3, 3), New(1, 1, 7, 7), Conv2DConfig{Padding: [2]int{1, 1}}) },
			"tensor: Conv2D: kernel 7×7 with dilation [1 1] spans 7×7, more than the padded input 5×5 (x [1 1 3 3], padding [1 1]): output size < 1"},
		{"dilated kernel too large", func() { Conv2D(New(1, 1, 5, 9), New(1, 1, 3, 3), Conv2DConfig{Dilation: [2]int{3, 1}}) },
			"tensor: Conv2D: kernel 3×3 with dilation [3 1] spans 7×3, more than the padded input 5×9 (x [1 1 5 9], padding [0 0]): output size < 1"},
		{"x not 4-D", func() { Conv2D(New(8, 5, 5), New(4, 8, 3, 3), Conv2DConfig{}) },
			"tensor: Conv2D: input x [8 5 5] is not 4-D N×C×H×W"},
		{"w not 4-D", func() { Conv2D(New(1, 8, 5, 5), New(4, 8, 3), Conv2DConfig{}) },
			"tensor: Conv2D: weight w [4 8 3] is not 4-D Cout×(C/groups)×kh×kw"},
		{"negative stride", func() { Conv2D(New(1, 1, 5, 5), New(1, 1, 3, 3), Conv2DConfig{Stride: [2]int{1, -1}}) },
			"tensor: Conv2D: negative stride [1 -1]"},
		{"negative padding", func() { Conv2D(New(1, 1, 5, 5), New(1, 1, 3, 3), Conv2DConfig{Padding: [2]int{-1, 0}}) },
			"tensor: Conv2D: negative padding [-1 0]"},
		{"negative groups", func() { Conv2D(New(1, 1, 5, 5), New(1, 1, 3, 3), Conv2DConfig{Groups: -1}) },
			"tensor: Conv2D: negative groups -1"},
		{"empty kernel", func() { Conv2D(New(1, 1, 5, 5), New(1, 1, 0, 3), Conv2DConfig{}) },
			"tensor: Conv2D: empty kernel 0×3 (w [1 1 0 3])"},
		{"output shape", func() { Conv2DOutputShape([]int{2, 8, 5, 5}, []int{3, 2, 3, 3}, Conv2DConfig{Groups: 3}) },
			"tensor: Conv2DOutputShape: groups 3 does not divide input channels 8 (x [2 8 5 5])"},
		{"grad input dy", func() { Conv2DGradInput(New(2, 4, 4, 4), New(4, 3, 3, 3), []int{2, 3, 5, 5}, Conv2DConfig{}) },
			"tensor: Conv2DGradInput: dy [2 4 4 4] does not match the output shape [2 4 3 3] of x [2 3 5 5] and w [4 3 3 3]"},
		{"grad input x", func() { Conv2DGradInput(New(2, 4, 3, 3), New(4, 3, 3, 3), []int{2, 3, 5}, Conv2DConfig{}) },
			"tensor: Conv2DGradInput: input x [2 3 5] is not 4-D N×C×H×W"},
		{"grad weight dy", func() { Conv2DGradWeight(New(2, 3, 5, 5), New(2, 5, 3, 3), []int{4, 3, 3, 3}, Conv2DConfig{}) },
			"tensor: Conv2DGradWeight: dy [2 5 3 3] does not match the output shape [2 4 3 3] of x [2 3 5 5] and w [4 3 3 3]"},
		{"grad weight groups", func() { Conv2DGradWeight(New(2, 3, 5, 5), New(2, 4, 3, 3), []int{4, 3, 3, 3}, Conv2DConfig{Groups: 2}) },
			"tensor: Conv2DGradWeight: groups 2 does not divide input channels 3 (x [2 3 5 5])"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f, tc.name)
	}
}

func TestConv2DEmptyBatch(t *testing.T) {
	x, w := New(0, 3, 5, 5), New(4, 3, 3, 3)
	y := Conv2D(x, w, Conv2DConfig{})
	require.Equal(t, []int{0, 4, 3, 3}, y.Shape())
	dw := Conv2DGradWeight(x, y, w.Shape(), Conv2DConfig{})
	require.Equal(t, make([]float32, w.Len()), dw.Data())
}

// TestIm2colStride2 checks im2col's path for a horizontal stride of 2
// (im2colS2, halves split by dwconv.Deinterleave2) against its definition,
// col[(c·kh+p)·kw+q, i·Wo+j] = x[c, i·sh − ph + p·dh, j·2 − pw + q·dw] or 0
// in the padding, element for element, on widths below, at and past a
// vector of the split (16) and with odd and even offsets.
func TestIm2colStride2(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []convCase{
		{n: 1, c: 3, h: 224, w: 224, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{1, 1}},
		{n: 1, c: 2, h: 9, w: 11, kh: 3, kw: 3, stride: [2]int{2, 2}, pad: [2]int{0, 0}},
		{n: 1, c: 2, h: 9, w: 35, kh: 5, kw: 5, stride: [2]int{1, 2}, pad: [2]int{2, 2}, dil: [2]int{1, 2}},
		{n: 1, c: 1, h: 7, w: 16, kh: 7, kw: 7, stride: [2]int{3, 2}, pad: [2]int{3, 3}},
		{n: 1, c: 2, h: 5, w: 33, kh: 2, kw: 4, stride: [2]int{2, 2}, pad: [2]int{0, 3}, dil: [2]int{2, 3}},
		{n: 1, c: 1, h: 4, w: 3, kh: 1, kw: 7, stride: [2]int{1, 2}, pad: [2]int{0, 4}},
	} {
		tc = tc.normalized()
		tc.cout = 1
		g := newConvGeom("test", []int{1, tc.c, tc.h, tc.w}, []int{1, tc.c, tc.kh, tc.kw}, tc.params())
		x := Normal(rng, 0, 1, tc.c, tc.h, tc.w).Data()
		got := make([]float32, g.colRows()*g.howo())
		for i := range got {
			got[i] = float32(i) // every element must be written
		}
		im2col(g, x, got)
		want := make([]float32, len(got))
		for c := range tc.c {
			for p := range tc.kh {
				for q := range tc.kw {
					for i := range g.ho {
						for j := range g.wo {
							h, v := i*g.sh-g.ph+p*g.dh, j*g.sw-g.pw+q*g.dw
							if h >= 0 && h < tc.h && v >= 0 && v < tc.w {
								want[((c*tc.kh+p)*tc.kw+q)*g.howo()+i*g.wo+j] = x[(c*tc.h+h)*tc.w+v]
							}
						}
					}
				}
			}
		}
		require.Equal(t, want, got, "%v", tc)
	}
}
