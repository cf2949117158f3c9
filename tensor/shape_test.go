package tensor

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// seq returns a tensor holding 0, 1, 2, … in row-major order.
func seq(shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = float32(i)
	}
	return t
}

func TestPermute(t *testing.T) {
	for _, tc := range []struct {
		shape, axes []int
	}{
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{2, 3, 4}, []int{-1, 1, 0}},
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{2, 1, 4, 3}, []int{3, 1, 0, 2}},
		{[]int{5}, []int{0}},
		{[]int{}, []int{}},
		{[]int{0, 3}, []int{1, 0}},
		{[]int{301, 203}, []int{1, 0}}, // parallel chunks of strided runs
	} {
		x := seq(tc.shape...)
		c := x.Clone()
		got := Permute(x, tc.axes...)
		perm := make([]int, len(tc.axes))
		for i, a := range tc.axes {
			perm[i] = (a + len(tc.shape)) % len(tc.shape)
		}
		want := make([]int, len(perm))
		for i, p := range perm {
			want[i] = tc.shape[p]
		}
		require.Equal(t, want, got.Shape(), "%v %v", tc.shape, tc.axes)
		for i, v := range got.Data() {
			idx := unravel(i, want)
			src := make([]int, len(idx))
			for k, p := range perm {
				src[p] = idx[k]
			}
			require.Equal(t, x.At(src...), v, "%v %v element %v", tc.shape, tc.axes, idx)
		}
		unchanged(t, c, x)
	}

	m := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	require.Equal(t, []float32{1, 4, 2, 5, 3, 6}, Transpose(m, 0, 1).Data())
	require.Equal(t, []int{3, 2}, Transpose(m, -1, 0).Shape())
	require.Equal(t, m.Data(), Transpose(m, 1, 1).Data())
	x := seq(2, 3, 4)
	require.Equal(t, Permute(x, 2, 1, 0), Transpose(x, 0, 2))
}

// TestSliceLarge checks Slice on tensors large enough for its parallel
// loop, along every axis with steps 1 and 2 (the last axis element by
// element), against the elements At reads, with 1 and 2 threads.
func TestSliceLarge(t *testing.T) {
	x := seq(2, 40, 28, 30)
	for ax := range 4 {
		for _, step := range []int{1, 2} {
			for _, procs := range []int{1, 2} {
				prev := runtime.GOMAXPROCS(procs)
				got := Slice(x, ax, 1, x.Dim(ax), step)
				runtime.GOMAXPROCS(prev)
				shape := append([]int(nil), x.Shape()...)
				shape[ax] = (x.Dim(ax) - 1 + step - 1) / step
				require.Equal(t, shape, got.Shape())
				for i, v := range got.Data() {
					idx := unravel(i, shape)
					idx[ax] = 1 + idx[ax]*step
					if v != x.At(idx...) {
						require.Equal(t, x.At(idx...), v, "axis %d step %d procs %d element %v", ax, step, procs, idx)
					}
				}
			}
		}
	}
}

func TestSlice(t *testing.T) {
	x := seq(2, 5, 3)
	for _, tc := range []struct {
		axis, start, stop, step int
		idx                     []int // selected indices along axis
	}{
		{1, 1, 4, 1, []int{1, 2, 3}},
		{1, 0, 5, 2, []int{0, 2, 4}},
		{-2, 1, 5, 3, []int{1, 4}},
		{1, 4, 5, 7, []int{4}},
		{1, 3, 3, 1, []int{}},
		{1, 4, 1, 1, []int{}},
		{1, 5, 5, 1, []int{}},
		{0, 1, 2, 1, []int{1}},
		{2, 0, 3, 1, []int{0, 1, 2}},
		{-1, 2, 3, 2, []int{2}},
	} {
		got := Slice(x, tc.axis, tc.start, tc.stop, tc.step)
		ax := (tc.axis + 3) % 3
		shape := []int{2, 5, 3}
		shape[ax] = len(tc.idx)
		require.Equal(t, shape, got.Shape(), "%+v", tc)
		for i, v := range got.Data() {
			idx := unravel(i, shape)
			idx[ax] = tc.idx[idx[ax]]
			require.Equal(t, x.At(idx...), v, "%+v", tc)
		}

		// SliceGrad is the adjoint of Slice: ⟨Slice(x), dy⟩ = ⟨x, SliceGrad(dy)⟩,
		// and it is zero off the slice.
		dy := AddScalar(seq(shape...), 1)
		dx := SliceGrad(dy, x.Shape(), tc.axis, tc.start, tc.stop, tc.step)
		require.Equal(t, x.Shape(), dx.Shape())
		require.Equal(t, Sum(Mul(got, dy), false).Item(), Sum(Mul(x, dx), false).Item(), "%+v", tc)
		var nonzero int
		for _, v := range dx.Data() {
			if v != 0 {
				nonzero++
			}
		}
		require.Equal(t, dy.Len(), nonzero, "%+v", tc)
	}
}

func TestConcat(t *testing.T) {
	a := FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	b := FromSlice([]float32{5, 6}, 2, 1)
	c := FromSlice([]float32{7, 8}, 1, 2)
	for _, tc := range []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"axis 1", Concat(1, a, b, a), []int{2, 5}, []float32{1, 2, 5, 1, 2, 3, 4, 6, 3, 4}},
		{"axis -1", Concat(-1, b, b), []int{2, 2}, []float32{5, 5, 6, 6}},
		{"axis 0", Concat(0, a, c), []int{3, 2}, []float32{1, 2, 3, 4, 7, 8}},
		{"one", Concat(0, c), []int{1, 2}, []float32{7, 8}},
		{"empty part", Concat(1, a, New(2, 0)), []int{2, 2}, []float32{1, 2, 3, 4}},
		{"1-D", Concat(0, FromSlice([]float32{1}, 1), FromSlice([]float32{2, 3}, 2)), []int{3}, []float32{1, 2, 3}},
	} {
		require.Equal(t, tc.shape, tc.got.Shape(), tc.name)
		require.Equal(t, tc.want, tc.got.Data(), tc.name)
	}

	// Concat then Slice gives the parts back.
	rng := rand.New(rand.NewPCG(13, 14))
	parts := []*Tensor{randn(rng, 2, 3, 4), randn(rng, 2, 1, 4), randn(rng, 2, 5, 4)}
	cat := Concat(1, parts...)
	require.Equal(t, []int{2, 9, 4}, cat.Shape())
	require.Equal(t, parts[0], Slice(cat, 1, 0, 3, 1))
	require.Equal(t, parts[1], Slice(cat, 1, 3, 4, 1))
	require.Equal(t, parts[2], Slice(cat, 1, 4, 9, 1))
}

func TestShapePanic(t *testing.T) {
	x := New(2, 4, 3)
	for _, tc := range []struct {
		f    func()
		want string
	}{
		{func() { Permute(x, 0, 1) }, "tensor: Permute: 2 axes [0 1] for shape [2 4 3] of 3 dimensions"},
		{func() { Permute(x, 0, 1, -2) }, "tensor: Permute: axes [0 1 -2] are not a permutation of the 3 axes of shape [2 4 3]"},
		{func() { Permute(x, 0, 1, 3) }, "tensor: Permute: axis 3 out of range for shape [2 4 3]"},
		{func() { Transpose(x, 0, 3) }, "tensor: Transpose: axis 3 out of range for shape [2 4 3]"},
		{func() { Slice(x, 1, 5, 5, 1) }, "tensor: Slice: start 5 out of range [0, 4] for axis 1 of shape [2 4 3]"},
		{func() { Slice(New(2, 4), 1, 0, 9, 1) }, "tensor: Slice: stop 9 out of range [0, 4] for axis 1 of shape [2 4]"},
		{func() { Slice(x, -2, -1, 2, 1) }, "tensor: Slice: start -1 out of range [0, 4] for axis 1 of shape [2 4 3]"},
		{func() { Slice(x, 0, 0, 2, 0) }, "tensor: Slice: step 0 is less than 1"},
		{func() { Slice(x, 3, 0, 1, 1) }, "tensor: Slice: axis 3 out of range for shape [2 4 3]"},
		{func() { SliceGrad(New(2, 2, 3), []int{2, 4, 3}, 1, 0, 3, 1) },
			"tensor: SliceGrad: gradient shape [2 2 3] differs from shape [2 3 3] of slice 0:3:1 of axis 1 of shape [2 4 3]"},
		{func() { SliceGrad(New(2), []int{2}, 0, 0, 3, 1) }, "tensor: SliceGrad: stop 3 out of range [0, 2] for axis 0 of shape [2]"},
		{func() { Concat(0) }, "tensor: Concat: no tensors to concatenate"},
		{func() { Concat(1, New(2, 3), New(3, 3)) },
			"tensor: Concat: shape [3 3] of tensor 1 differs from shape [2 3] of tensor 0 outside axis 1"},
		{func() { Concat(0, New(2, 3), New(2, 3, 1)) },
			"tensor: Concat: shape [2 3 1] of tensor 1 differs from shape [2 3] of tensor 0 outside axis 0"},
		{func() { Concat(2, New(2, 3)) }, "tensor: Concat: axis 2 out of range for shape [2 3]"},
	} {
		require.PanicsWithValue(t, tc.want, tc.f)
	}
}
