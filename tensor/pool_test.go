package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refPool is a naive float64 reference for pooling, written independently
// of poolGeom.
type refPool struct {
	n, c, h, w int
	p          Pool2DConfig
	sh, sw     int
	ho, wo     int
}

func newRefPool(shape []int, p Pool2DConfig) refPool {
	r := refPool{n: shape[0], c: shape[1], h: shape[2], w: shape[3], p: p, sh: p.Stride[0], sw: p.Stride[1]}
	if r.sh == 0 {
		r.sh = p.Kernel[0]
	}
	if r.sw == 0 {
		r.sw = p.Kernel[1]
	}
	r.ho = (r.h+2*p.Padding[0]-p.Kernel[0])/r.sh + 1
	r.wo = (r.w+2*p.Padding[1]-p.Kernel[1])/r.sw + 1
	return r
}

// windows calls f for every output element with its flat index, the flat
// indices of the window's input elements inside the input (row-major
// window order) and the number of window positions including padding.
func (r refPool) windows(f func(yi int, in []int, full int)) {
	for pl := range r.n * r.c {
		for i := range r.ho {
			for j := range r.wo {
				var in []int
				for p := range r.p.Kernel[0] {
					for q := range r.p.Kernel[1] {
						h, v := i*r.sh-r.p.Padding[0]+p, j*r.sw-r.p.Padding[1]+q
						if h >= 0 && h < r.h && v >= 0 && v < r.w {
							in = append(in, (pl*r.h+h)*r.w+v)
						}
					}
				}
				f((pl*r.ho+i)*r.wo+j, in, r.p.Kernel[0]*r.p.Kernel[1])
			}
		}
	}
}

func (r refPool) divisor(in []int, full int) float64 {
	if r.p.ExcludePad {
		return float64(len(in))
	}
	return float64(full)
}

func poolCases() []struct {
	shape []int
	p     Pool2DConfig
} {
	return []struct {
		shape []int
		p     Pool2DConfig
	}{
		{[]int{2, 3, 6, 6}, Pool2DConfig{Kernel: [2]int{2, 2}}},
		{[]int{2, 3, 7, 9}, Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{[]int{2, 3, 7, 9}, Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}},
		{[]int{1, 2, 5, 8}, Pool2DConfig{Kernel: [2]int{3, 2}, Stride: [2]int{1, 3}, Padding: [2]int{1, 0}}},
		{[]int{1, 2, 5, 8}, Pool2DConfig{Kernel: [2]int{2, 4}, Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, ExcludePad: true}},
		{[]int{3, 1, 4, 4}, Pool2DConfig{Kernel: [2]int{4, 4}}},
		{[]int{1, 1, 1, 1}, Pool2DConfig{Kernel: [2]int{1, 1}}},
		{[]int{2, 40, 33, 35}, Pool2DConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}}, // parallel
	}
}

func TestAvgPool2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range poolCases() {
		name := fmt.Sprintf("%v %+v", tc.shape, tc.p)
		r := newRefPool(tc.shape, tc.p)
		x := denseRandn(rng, tc.shape...)
		dy := denseRandn(rng, r.n, r.c, r.ho, r.wo)
		want := make([]float64, dy.Len())
		wantDx := make([]float64, x.Len())
		r.windows(func(yi int, in []int, full int) {
			d := r.divisor(in, full)
			for _, xi := range in {
				want[yi] += float64(x.Data()[xi]) / d
				wantDx[xi] += float64(dy.Data()[yi]) / d
			}
		})
		y := AvgPool2D(x, tc.p)
		require.Equal(t, dy.Shape(), y.Shape(), name)
		requireCloseTo64(t, want, y.Data(), 1e-6, name)
		dx := AvgPool2DGrad(dy, x.Shape(), tc.p)
		require.Equal(t, x.Shape(), dx.Shape(), name)
		requireCloseTo64(t, wantDx, dx.Data(), 1e-6, name)
	}
}

func TestMaxPool2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, tc := range poolCases() {
		name := fmt.Sprintf("%v %+v", tc.shape, tc.p)
		r := newRefPool(tc.shape, tc.p)
		x := denseRandn(rng, tc.shape...)
		// Plant ties: the first maximum in window order must win.
		for i := 0; i+1 < x.Len(); i += 5 {
			x.Data()[i+1] = x.Data()[i]
		}
		dy := denseRandn(rng, r.n, r.c, r.ho, r.wo)
		want := make([]float32, dy.Len())
		wantArg := make([]int32, dy.Len())
		wantDx := make([]float64, x.Len())
		r.windows(func(yi int, in []int, _ int) {
			best := in[0]
			for _, xi := range in[1:] {
				if x.Data()[xi] > x.Data()[best] {
					best = xi
				}
			}
			want[yi] = x.Data()[best]
			wantArg[yi] = int32(best % (r.h * r.w))
			wantDx[best] += float64(dy.Data()[yi])
		})
		y, arg := MaxPool2D(x, tc.p)
		require.Equal(t, dy.Shape(), y.Shape(), name)
		require.Equal(t, want, y.Data(), name)
		require.Equal(t, wantArg, arg, name)
		dx := MaxPool2DGrad(dy, arg, x.Shape())
		requireCloseTo64(t, wantDx, dx.Data(), 1e-6, name)
	}
}

func TestMaxPool2DNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := FromSlice([]float32{1, nan, 3, nan}, 1, 1, 2, 2)
	y, arg := MaxPool2D(x, Pool2DConfig{Kernel: [2]int{2, 2}})
	require.True(t, math.IsNaN(float64(y.Item())))
	require.Equal(t, []int32{1}, arg)
}

func TestGlobalAvgPool2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, shape := range [][]int{{1, 1, 1, 1}, {2, 3, 5, 7}, {4, 64, 7, 7}, {1, 2, 1, 9}} {
		x := denseRandn(rng, shape...)
		hw := shape[2] * shape[3]
		want := make([]float64, shape[0]*shape[1])
		for pl := range want {
			for _, v := range x.Data()[pl*hw : (pl+1)*hw] {
				want[pl] += float64(v) / float64(hw)
			}
		}
		y := GlobalAvgPool2D(x)
		require.Equal(t, []int{shape[0], shape[1], 1, 1}, y.Shape())
		requireCloseTo64(t, want, y.Data(), 1e-6, shape)
		dy := denseRandn(rng, y.Shape()...)
		dx := GlobalAvgPool2DGrad(dy, shape)
		wantDx := make([]float64, x.Len())
		for i := range wantDx {
			wantDx[i] = float64(dy.Data()[i/hw]) / float64(hw)
		}
		requireCloseTo64(t, wantDx, dx.Data(), 1e-6, shape)
	}
}

// TestGlobalAvgPool2DExact checks that GlobalAvgPool2D gives each plane's
// mean as sixteen float64 partial sums of the elements j mod 16, in
// increasing j, added as vec.Sum64 adds them and divided by H·W, bit
// for bit, for planes whose length is and is not a multiple of sixteen and
// parallel ranges of any length.
func TestGlobalAvgPool2DExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, shape := range [][]int{{1, 1, 1, 1}, {1, 3, 1, 2}, {1, 3, 1, 3}, {1, 3, 2, 2}, {2, 7, 5, 7}, {8, 1152, 7, 7}, {3, 37, 14, 14}, {1, 5, 56, 56}} {
		x := denseRandn(rng, shape...)
		hw := shape[2] * shape[3]
		want := make([]float32, shape[0]*shape[1])
		for pl := range want {
			var s [16]float64
			for j, v := range x.Data()[pl*hw : (pl+1)*hw] {
				s[j%16] += float64(v)
			}
			for w := 8; w >= 1; w /= 2 {
				for l := range w {
					s[l] += s[l+w]
				}
			}
			want[pl] = float32(s[0] / float64(hw))
		}
		require.Equal(t, want, GlobalAvgPool2D(x).Data(), "%v", shape)
	}
}

func TestPool2DPanics(t *testing.T) {
	k3 := Pool2DConfig{Kernel: [2]int{3, 3}}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"x not 4-D", func() { AvgPool2D(New(3, 5, 5), k3) },
			"tensor: AvgPool2D: input x [3 5 5] is not 4-D N×C×H×W"},
		{"kernel", func() { MaxPool2D(New(1, 3, 5, 5), Pool2DConfig{Kernel: [2]int{0, 2}}) },
			"tensor: MaxPool2D: kernel [0 2] must be positive"},
		{"stride", func() { MaxPool2D(New(1, 3, 5, 5), Pool2DConfig{Kernel: [2]int{2, 2}, Stride: [2]int{-1, 1}}) },
			"tensor: MaxPool2D: negative stride [-1 1]"},
		{"padding", func() { AvgPool2D(New(1, 3, 5, 5), Pool2DConfig{Kernel: [2]int{3, 3}, Padding: [2]int{2, 1}}) },
			"tensor: AvgPool2D: padding [2 1] must be between 0 and half the kernel [3 3]"},
		{"too large", func() { MaxPool2D(New(1, 3, 2, 5), k3) },
			"tensor: MaxPool2D: kernel [3 3] is larger than the padded input 2×5 (x [1 3 2 5], padding [0 0]): output size < 1"},
		{"avg grad dy", func() { AvgPool2DGrad(New(1, 3, 2, 2), []int{1, 3, 3, 3}, k3) },
			"tensor: AvgPool2DGrad: dy [1 3 2 2] does not match the output shape [1 3 1 1] for x [1 3 3 3]"},
		{"max grad argmax", func() { MaxPool2DGrad(New(1, 1, 1, 1), []int32{9}, []int{1, 1, 3, 3}) },
			"tensor: MaxPool2DGrad: argmax[0] = 9 is outside the input plane of 9 elements (x [1 1 3 3])"},
		{"max grad len", func() { MaxPool2DGrad(New(1, 1, 2, 1), []int32{0}, []int{1, 1, 3, 3}) },
			"tensor: MaxPool2DGrad: 1 argmax indices for dy [1 1 2 1] of 2 elements"},
		{"max grad dy", func() { MaxPool2DGrad(New(1, 2, 1, 1), []int32{0, 0}, []int{1, 1, 3, 3}) },
			"tensor: MaxPool2DGrad: dy [1 2 1 1] must be 4-D with the batch and channels of x [1 1 3 3]"},
		{"global x", func() { GlobalAvgPool2D(New(2, 3)) },
			"tensor: GlobalAvgPool2D: input x [2 3] is not 4-D N×C×H×W"},
		{"global grad dy", func() { GlobalAvgPool2DGrad(New(2, 3), []int{2, 3, 4, 4}) },
			"tensor: GlobalAvgPool2DGrad: dy [2 3] does not match the output shape [2 3 1 1] for x [2 3 4 4]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f, tc.name)
	}
}
