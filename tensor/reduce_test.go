package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReductions(t *testing.T) {
	mean := func(v []float64) float64 { return sum(v) / float64(len(v)) }
	variance := func(ddof int) func(v []float64) float64 {
		return func(v []float64) float64 {
			m, s := mean(v), 0.0
			for _, x := range v {
				s += (x - m) * (x - m)
			}
			return s / float64(len(v)-ddof)
		}
	}
	ops := []struct {
		name string
		f    func(t *Tensor, keepDims bool, axes ...int) *Tensor
		ref  func(v []float64) float64
	}{
		{"Sum", Sum, sum},
		{"Mean", Mean, mean},
		{"Max", Max, slices.Max[[]float64]},
		{"Min", Min, slices.Min[[]float64]},
		{"Variance unbiased", func(t *Tensor, k bool, axes ...int) *Tensor { return Variance(t, true, k, axes...) }, variance(1)},
		{"Variance biased", func(t *Tensor, k bool, axes ...int) *Tensor { return Variance(t, false, k, axes...) }, variance(0)},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		shape []int
		axes  []int
	}{
		{[]int{7}, nil},
		{[]int{7}, []int{0}},
		{[]int{2, 3}, []int{0}},
		{[]int{2, 3}, []int{1}},
		{[]int{2, 3}, []int{-1}},
		{[]int{2, 3}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{0, 2}},
		{[]int{2, 3, 4}, []int{-2}},
		{[]int{2, 1, 5}, []int{1}},
		{[]int{2, 1, 5}, []int{0, 1}},
		{[]int{3, 4, 5, 6}, []int{0, 2, 3}}, // per channel, as batch norm
		{[]int{3, 4, 5, 6}, []int{1, 3}},
		{[]int{3, 4, 5, 6}, nil},
		{[]int{1, 1}, []int{0}},
		{[]int{5003}, nil},
	} {
		x := AddScalar(randn(rng, tc.shape...), 3) // a mean far from 0 tests the variance's two passes
		c := x.Clone()
		keep, _ := refReduce(x, tc.axes, sum)
		var drop []int
		for d := range tc.shape {
			if !slices.Contains(tc.axes, d) && !slices.Contains(tc.axes, d-len(tc.shape)) && tc.axes != nil {
				drop = append(drop, tc.shape[d])
			}
		}
		if drop == nil {
			drop = []int{}
		}
		for _, op := range ops {
			if op.name == "Variance unbiased" && NumElements(tc.shape) == NumElements(keep) {
				continue // n − 1 = 0
			}
			_, want := refReduce(x, tc.axes, op.ref)
			got := op.f(x, true, tc.axes...)
			require.Equal(t, keep, got.Shape(), "%s %v %v", op.name, tc.shape, tc.axes)
			requireClose(t, want, got.Data(), 2e-6, "%s %v %v keepDims", op.name, tc.shape, tc.axes)
			got = op.f(x, false, tc.axes...)
			require.Equal(t, drop, got.Shape(), "%s %v %v", op.name, tc.shape, tc.axes)
			requireClose(t, want, got.Data(), 2e-6, "%s %v %v", op.name, tc.shape, tc.axes)
		}
		unchanged(t, c, x)
	}
}

func TestReductionsByHand(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"Sum all", Sum(x, false), []int{}, []float32{21}},
		{"Sum all keepDims", Sum(x, true), []int{1, 1}, []float32{21}},
		{"Sum 0", Sum(x, false, 0), []int{3}, []float32{5, 7, 9}},
		{"Sum -1 keepDims", Sum(x, true, -1), []int{2, 1}, []float32{6, 15}},
		{"Sum scalar", Sum(Scalar(4), false), []int{}, []float32{4}},
		{"Sum empty", Sum(New(2, 0), false, 1), []int{2}, []float32{0, 0}},
		{"Mean 1", Mean(x, false, 1), []int{2}, []float32{2, 5}},
		{"Mean empty", Mean(New(0), false), []int{}, []float32{nan}},
		{"Max 0", Max(x, false, 0), []int{3}, []float32{4, 5, 6}},
		{"Max NaN", Max(FromSlice([]float32{1, nan, 3}, 3), false), []int{}, []float32{nan}},
		{"Min 1", Min(x, true, 1), []int{2, 1}, []float32{1, 4}},
		{"Min -inf", Min(FromSlice([]float32{1, float32(math.Inf(-1))}, 2), false), []int{}, []float32{float32(math.Inf(-1))}},
		{"Variance", Variance(x, true, false, 1), []int{2}, []float32{1, 1}},
		{"Variance biased", Variance(x, false, false), []int{}, []float32{35.0 / 12}},
		{"Variance of one", Variance(Scalar(1), true, false), []int{}, []float32{nan}},
		{"BroadcastTo", BroadcastTo(FromSlice([]float32{1, 2}, 2, 1), []int{2, 2, 3}), []int{2, 2, 3},
			[]float32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}},
		{"BroadcastTo scalar", BroadcastTo(Scalar(7), []int{2}), []int{2}, []float32{7, 7}},
		{"BroadcastTo same", BroadcastTo(x, []int{2, 3}), []int{2, 3}, x.Data()},
		{"SumTo", SumTo(x, []int{3}), []int{3}, []float32{5, 7, 9}},
		{"SumTo keep", SumTo(x, []int{2, 1}), []int{2, 1}, []float32{6, 15}},
		{"SumTo scalar", SumTo(x, []int{}), []int{}, []float32{21}},
	} {
		require.Equal(t, tc.shape, tc.got.Shape(), tc.name)
		requireClose(t, float64s(tc.want), tc.got.Data(), 1e-7, tc.name)
	}
	require.Same(t, x, SumTo(x, []int{2, 3}), "SumTo to the same shape returns its input")

	// Variance is computed in two passes: a large mean does not cancel the
	// small spread, as it would in E[x²] − E[x]².
	big := FromSlice([]float32{10000, 10001, 10002, 10003}, 4)
	require.InDelta(t, 5.0/3, Variance(big, true, false).Item(), 1e-6)
}

func TestReductionsPanic(t *testing.T) {
	x := New(2, 3)
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { Sum(x, false, 2) }, "tensor: Sum: axis 2 out of range for shape [2 3]"},
		{func() { Mean(x, false, -3) }, "tensor: Mean: axis -3 out of range for shape [2 3]"},
		{func() { Sum(x, false, 1, -1) }, "tensor: Sum: duplicate axis -1 in [1 -1] for shape [2 3]"},
		{func() { Variance(x, true, true, 0, 0) }, "tensor: Variance: duplicate axis 0 in [0 0] for shape [2 3]"},
		{func() { Max(New(2, 0), false, 1) }, "tensor: Max: cannot reduce over zero elements: axes [1] of shape [2 0]"},
		{func() { Min(New(0), false) }, "tensor: Min: cannot reduce over zero elements: axes [] of shape [0]"},
		{func() { ArgMax(x, 2) }, "tensor: ArgMax: axis 2 out of range for shape [2 3]"},
		{func() { ArgMax(New(2, 0), -1) }, "tensor: ArgMax: axis 1 of shape [2 0] has size 0"},
		{func() { BroadcastTo(x, []int{4, 3}) }, "tensor: BroadcastTo: shape [2 3] cannot be broadcast to [4 3]"},
		{func() { BroadcastTo(x, []int{3}) }, "tensor: BroadcastTo: shape [2 3] cannot be broadcast to [3]"},
		{func() { SumTo(x, []int{2}) }, "tensor: SumTo: shape [2] does not broadcast to [2 3]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f)
	}
}

func TestArgMax(t *testing.T) {
	nan := float32(math.NaN())
	x := FromSlice([]float32{
		1, 5, 5,
		7, 0, 7,

		2, 2, 2,
		-1, 3, nan,
	}, 2, 2, 3)
	for _, tc := range []struct {
		axis int
		want []int
	}{
		{2, []int{1, 0, 0, 2}}, // ties go to the first index, NaN is the largest
		{-1, []int{1, 0, 0, 2}},
		{1, []int{1, 0, 1, 0, 1, 1}},
		{0, []int{1, 0, 0, 0, 1, 1}},
	} {
		require.Equal(t, tc.want, ArgMax(x, tc.axis), "axis %d", tc.axis)
	}
	require.Equal(t, []int{0}, ArgMax(FromSlice([]float32{3}, 1), 0))
	require.Equal(t, []int{}, ArgMax(New(0, 4), 1))
}
