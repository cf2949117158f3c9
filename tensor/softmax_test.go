package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refSoftmax returns the softmax or log-softmax of x (float64 values of
// shape) along axis, computed line by line.
func refSoftmax(x []float64, shape []int, axis int, log bool) []float64 {
	out := make([]float64, len(x))
	st := Strides(shape)
	for i := range x {
		idx := unravel(i, shape)
		if idx[axis] != 0 {
			continue
		}
		line := make([]int, shape[axis])
		m := math.Inf(-1)
		for k := range line {
			line[k] = i + k*st[axis]
			m = math.Max(m, x[line[k]])
		}
		var s float64
		for _, j := range line {
			s += math.Exp(x[j] - m)
		}
		for _, j := range line {
			if log {
				out[j] = x[j] - m - math.Log(s)
			} else {
				out[j] = math.Exp(x[j]-m) / s
			}
		}
	}
	return out
}

func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		shape []int
		axis  int
	}{
		{[]int{5}, 0},
		{[]int{3, 4}, 1},
		{[]int{3, 4}, 0},
		{[]int{2, 3, 4}, 1},
		{[]int{2, 3, 4}, -1},
		{[]int{2, 1, 3}, 1},
		{[]int{2, 3, 4, 5}, 1}, // channels of NCHW
		{[]int{3, 2, 0}, 1},
		{[]int{2, 0, 3}, 1},
		{[]int{2, 20001}, 0},
	} {
		x := MulScalar(randn(rng, tc.shape...), 4)
		c := x.Clone()
		ax := (tc.axis + len(tc.shape)) % len(tc.shape)
		for _, log := range []bool{false, true} {
			f := Softmax
			if log {
				f = LogSoftmax
			}
			got := f(x, tc.axis)
			require.Equal(t, tc.shape, got.Shape())
			requireClose(t, refSoftmax(float64s(x.Data()), tc.shape, ax, log), got.Data(), 1e-6, "%v axis %d log %t", tc.shape, tc.axis, log)
		}
		unchanged(t, c, x)
	}
}

func TestSoftmaxStable(t *testing.T) {
	x := FromSlice([]float32{1000, 1001, 1002, -1000, 0, 1000}, 2, 3)
	p := Softmax(x, 1)
	requireClose(t, []float64{0.09003057, 0.24472847, 0.66524096, 0, 0, 1}, p.Data(), 1e-6)
	lp := LogSoftmax(x, 1)
	// −2000 and −1000 stay finite where the softmax underflows.
	requireClose(t, []float64{-2.40760596, -1.40760596, -0.40760596, -2000, -1000, 0}, lp.Data(), 1e-6)

	inf := float32(math.Inf(-1))
	masked := FromSlice([]float32{0, inf, 0}, 3)
	requireClose(t, []float64{0.5, 0, 0.5}, Softmax(masked, 0).Data(), 1e-7)
	requireClose(t, []float64{-math.Ln2, math.Inf(-1), -math.Ln2}, LogSoftmax(masked, 0).Data(), 1e-7)
}

func TestSoftmaxGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		shape []int
		axis  int
	}{
		{[]int{4}, 0},
		{[]int{3, 5}, -1},
		{[]int{2, 3, 4}, 1},
		{[]int{2, 3, 4}, 0},
		{[]int{2, 1, 3}, 1},
	} {
		x, dy := randn(rng, tc.shape...), randn(rng, tc.shape...)
		ax := (tc.axis + len(tc.shape)) % len(tc.shape)
		for _, log := range []bool{false, true} {
			f, g := Softmax, SoftmaxGrad
			if log {
				f, g = LogSoftmax, LogSoftmaxGrad
			}
			// dx_i = Σⱼ dyⱼ ∂yⱼ/∂xᵢ by central differences of the float64
			// reference.
			xs := float64s(x.Data())
			want := make([]float64, len(xs))
			const h = 1e-6
			for i := range xs {
				x0 := xs[i]
				xs[i] = x0 + h
				yp := refSoftmax(xs, tc.shape, ax, log)
				xs[i] = x0 - h
				ym := refSoftmax(xs, tc.shape, ax, log)
				xs[i] = x0
				for j, d := range dy.Data() {
					want[i] += float64(d) * (yp[j] - ym[j]) / (2 * h)
				}
			}
			got := g(f(x, tc.axis), dy, tc.axis)
			require.Equal(t, tc.shape, got.Shape())
			requireClose(t, want, got.Data(), 1e-5, "%v axis %d log %t", tc.shape, tc.axis, log)
		}
	}
}

func TestSoftmaxPanic(t *testing.T) {
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { Softmax(New(2, 3), 2) }, "tensor: Softmax: axis 2 out of range for shape [2 3]"},
		{func() { LogSoftmax(Scalar(1), 0) }, "tensor: LogSoftmax: axis 0 out of range for shape []"},
		{func() { SoftmaxGrad(New(2, 3), New(3, 2), 1) }, "tensor: SoftmaxGrad: output shape [2 3] and gradient shape [3 2] differ"},
		{func() { LogSoftmaxGrad(New(2, 3), New(2, 3), -3) }, "tensor: LogSoftmaxGrad: axis -3 out of range for shape [2 3]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f)
	}
}
