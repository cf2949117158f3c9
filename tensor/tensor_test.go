package tensor

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConstructors(t *testing.T) {
	require.Equal(t, []float32{0, 0, 0, 0, 0, 0}, New(2, 3).Data())
	require.Equal(t, []float32{1, 1}, Ones(2).Data())
	require.Equal(t, []float32{2.5, 2.5, 2.5}, Full(2.5, 3, 1).Data())
	require.Equal(t, []int{3, 1}, Full(2.5, 3, 1).Shape())
	s := Scalar(4)
	require.Equal(t, 0, s.NDim())
	require.Equal(t, float32(4), s.Item())
	require.Equal(t, 0, New(0, 3).Len())

	data := []float32{1, 2, 3, 4, 5, 6}
	x := FromSlice(data, 2, 3)
	data[0] = 9
	require.Equal(t, float32(9), x.At(0, 0), "FromSlice shares its slice")
	require.Equal(t, float32(6), x.At(1, 2))
	x.Set(7, 1, 0)
	require.Equal(t, float32(7), data[3])
}

func TestRandomConstructorsAreSeeded(t *testing.T) {
	a := Normal(rand.New(rand.NewPCG(3, 4)), 1, 2, 1000)
	b := Normal(rand.New(rand.NewPCG(3, 4)), 1, 2, 1000)
	require.Equal(t, a.Data(), b.Data())
	var mean float64
	for _, v := range a.Data() {
		mean += float64(v)
	}
	require.InDelta(t, 1, mean/1000, 0.2)

	u := Uniform(rand.New(rand.NewPCG(5, 6)), -2, 3, 500)
	for _, v := range u.Data() {
		require.True(t, v >= -2 && v < 3, "%v outside [-2, 3)", v)
	}
}

func TestReshape(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	for _, tc := range []struct {
		in, want []int
	}{
		{[]int{6}, []int{6}},
		{[]int{3, -1}, []int{3, 2}},
		{[]int{-1}, []int{6}},
		{[]int{1, 2, 1, 3}, []int{1, 2, 1, 3}},
	} {
		y := x.Reshape(tc.in...)
		require.Equal(t, tc.want, y.Shape())
		require.Same(t, &x.Data()[0], &y.Data()[0], "Reshape shares data")
	}
}

func TestPanics(t *testing.T) {
	x := New(2, 3)
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"negative dim", func() { New(2, -1) }, "tensor: New: negative dimension in shape [2 -1]"},
		{"FromSlice size", func() { FromSlice(make([]float32, 5), 2, 3) }, "tensor: FromSlice: 5 elements do not fill shape [2 3] of 6 elements"},
		{"Reshape size", func() { x.Reshape(4, 2) }, "tensor: Reshape: shape [4 2] holds 8 elements, tensor of shape [2 3] has 6"},
		{"Reshape infer", func() { x.Reshape(4, -1) }, "tensor: Reshape: cannot infer the -1 in [4 -1] for 6 elements of shape [2 3]"},
		{"Reshape two -1", func() { x.Reshape(-1, -1) }, "tensor: Reshape: invalid shape [-1 -1]: at most one dimension may be -1 and none may be otherwise negative"},
		{"At range", func() { x.At(2, 0) }, "tensor: At: index [2 0] out of range for shape [2 3]"},
		{"Set rank", func() { x.Set(1, 0) }, "tensor: Set: index [0] has 1 coordinates for shape [2 3]"},
		{"Dim axis", func() { x.Dim(2) }, "tensor: Dim: axis 2 out of range for shape [2 3]"},
		{"Item", func() { x.Item() }, "tensor: Item: tensor of shape [2 3] has 6 elements, want 1"},
		{"CopyFrom", func() { x.CopyFrom(New(3, 2)) }, "tensor: CopyFrom: source shape [3 2] differs from destination shape [2 3]"},
		{"Add", func() { Add(x, New(4)) }, "tensor: Add: shapes [2 3] and [4] are not broadcastable"},
		{"AddInto", func() { AddInto(x, New(3)) }, "tensor: AddInto: shapes [2 3] and [3] differ"},
		{"SumTo", func() { SumTo(x, []int{2}) }, "tensor: SumTo: shape [2] does not broadcast to [2 3]"},
	} {
		t.Run(tc.name, func(t *testing.T) { require.PanicsWithValue(t, tc.msg, tc.f) })
	}
}

func TestAddBroadcastAndSumTo(t *testing.T) {
	a := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 1, 3)
	b := FromSlice([]float32{10, 20}, 2, 1)
	y := Add(a, b)
	require.Equal(t, []int{2, 2, 3}, y.Shape())
	require.Equal(t, []float32{11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26}, y.Data())

	require.Equal(t, []float32{11 + 14 + 21 + 24, 12 + 15 + 22 + 25, 13 + 16 + 23 + 26}, SumTo(y, []int{3}).Data())
	require.Equal(t, []float32{11 + 12 + 13 + 14 + 15 + 16, 21 + 22 + 23 + 24 + 25 + 26}, SumTo(y, []int{2, 1}).Data())
	require.Equal(t, []float32{11 + 12 + 13 + 21 + 22 + 23, 14 + 15 + 16 + 24 + 25 + 26}, SumTo(y, []int{2, 1, 1}).Data())
	require.Same(t, y, SumTo(y, []int{2, 2, 3}))
	require.Equal(t, []float32{3}, Add(Scalar(1), Scalar(2)).Data())
}

// TestReleasedLargeBuffersSurviveGC checks that a released buffer of the
// retained classes comes back after garbage collections (a sync.Pool
// would have dropped it), zeroed.
func TestReleasedLargeBuffersSurviveGC(t *testing.T) {
	n := 1<<minRetainClass + 5
	a := New(n)
	p := &a.Data()[0]
	a.Data()[7] = 3
	Release(a)
	runtime.GC()
	runtime.GC()
	b := New(n)
	require.Same(t, p, &b.Data()[0])
	require.Equal(t, float32(0), b.Data()[7])
	Release(b)
}

func TestReleaseReusesBuffers(t *testing.T) {
	a := New(1000)
	p := &a.Data()[0]
	a.Data()[5] = 3
	Release(a)
	require.Zero(t, a.Len())
	require.PanicsWithValue(t, "tensor: Data of a released tensor: its storage went back to the buffer pool (tensor.Release), so whoever kept it kept it beyond its owner's use", func() { a.Data() })
	require.Panics(t, func() { a.Shape() })
	// The pool may drop buffers at any time, so reuse is not guaranteed;
	// a reused buffer must come back zeroed.
	b := New(1000)
	if &b.Data()[0] == p {
		require.Equal(t, float32(0), b.Data()[5])
	}
	require.Len(t, b.Data(), 1000)
}
