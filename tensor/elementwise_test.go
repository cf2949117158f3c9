package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// broadcastCases are operand shapes that cover the loops' special cases:
// equal shapes, scalars and one-element operands on either side, per-row and
// per-channel operands, outer products, size-1 and odd dimensions, and
// sizes that cross elemGrain so that runs are cut into parallel chunks.
var broadcastCases = []struct{ a, b []int }{
	{[]int{5}, []int{5}},
	{[]int{2, 3}, []int{2, 3}},
	{[]int{}, []int{}},
	{[]int{}, []int{2, 3}},
	{[]int{2, 3}, []int{}},
	{[]int{1}, []int{3, 7}},
	{[]int{2, 3}, []int{3}},
	{[]int{3}, []int{2, 3}},
	{[]int{2, 1, 5}, []int{4, 1}},
	{[]int{3, 1}, []int{1, 4}},
	{[]int{3, 1}, []int{3, 2}},
	{[]int{3, 2}, []int{3, 1}},
	{[]int{2, 3, 4, 5}, []int{1, 3, 1, 1}},
	{[]int{3, 1, 1}, []int{2, 3, 4, 5}},
	{[]int{2, 3, 4}, []int{2, 1, 4}},
	{[]int{2, 3, 0}, []int{3, 1}},
	{[]int{3, 40001}, []int{1, 40001}},
	{[]int{70001}, []int{1}},
	{[]int{2, 3, 20001}, []int{3, 1}},
	{[]int{40001, 2}, []int{2}},
}

func TestBinaryOps(t *testing.T) {
	ops := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		ref  func(x, y float64) float64
	}{
		{"Add", Add, func(x, y float64) float64 { return x + y }},
		{"Sub", Sub, func(x, y float64) float64 { return x - y }},
		{"Mul", Mul, func(x, y float64) float64 { return x * y }},
		{"Div", Div, func(x, y float64) float64 { return x / y }},
		{"Pow", Pow, math.Pow},
		{"Minimum", Minimum, math.Min},
		{"Maximum", Maximum, math.Max},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range broadcastCases {
		a := Uniform(rng, 0.5, 2, tc.a...) // positive, so that Pow is real
		b := Uniform(rng, -2, 2, tc.b...)
		ca, cb := a.Clone(), b.Clone()
		shape, _ := BroadcastShapes(tc.a, tc.b)
		for _, op := range ops {
			got := op.f(a, b)
			require.Equal(t, shape, got.Shape(), "%s %v %v", op.name, tc.a, tc.b)
			requireClose(t, refBinary(a, b, shape, op.ref), got.Data(), 1e-6, "%s %v %v", op.name, tc.a, tc.b)
		}
		unchanged(t, ca, a)
		unchanged(t, cb, b)
	}
}

func TestBinaryOpsByHand(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	col := FromSlice([]float32{10, 20}, 2, 1)
	row := FromSlice([]float32{1, 0, -1}, 3)
	for _, tc := range []struct {
		name  string
		got   *Tensor
		shape []int
		want  []float32
	}{
		{"Add col", Add(x, col), []int{2, 3}, []float32{11, 12, 13, 24, 25, 26}},
		{"Sub row", Sub(x, row), []int{2, 3}, []float32{0, 2, 4, 3, 5, 7}},
		{"Sub scalar-left", Sub(Scalar(1), row), []int{3}, []float32{0, 1, 2}},
		{"Mul outer", Mul(col, row), []int{2, 3}, []float32{10, 0, -10, 20, 0, -20}},
		{"Div", Div(x, col), []int{2, 3}, []float32{0.1, 0.2, 0.3, 0.2, 0.25, 0.3}},
		{"Div by zero", Div(FromSlice([]float32{1, -1, 0}, 3), Scalar(0)), []int{3},
			[]float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}},
		{"Pow", Pow(FromSlice([]float32{2, 4, -2}, 3), FromSlice([]float32{3, 0.5, 2}, 3)), []int{3}, []float32{8, 2, 4}},
		{"Pow negative base", Pow(Scalar(-8), Scalar(1.0/3)), []int{}, []float32{float32(math.NaN())}},
		{"Minimum", Minimum(x, FromSlice([]float32{2, 5}, 2, 1)), []int{2, 3}, []float32{1, 2, 2, 4, 5, 5}},
		{"Maximum", Maximum(x, FromSlice([]float32{2, 5}, 2, 1)), []int{2, 3}, []float32{2, 2, 3, 5, 5, 6}},
		{"Maximum NaN", Maximum(FromSlice([]float32{float32(math.NaN()), 1}, 2), Scalar(0)), []int{2}, []float32{float32(math.NaN()), 1}},
	} {
		require.Equal(t, tc.shape, tc.got.Shape(), tc.name)
		requireClose(t, float64s(tc.want), tc.got.Data(), 1e-7, tc.name)
	}
}

func TestBinaryOpsPanic(t *testing.T) {
	a, b := New(2, 3), New(4)
	for _, tc := range []struct {
		f    func(a, b *Tensor) *Tensor
		want string
	}{
		{Add, "tensor: Add: shapes [2 3] and [4] are not broadcastable"},
		{Sub, "tensor: Sub: shapes [2 3] and [4] are not broadcastable"},
		{Mul, "tensor: Mul: shapes [2 3] and [4] are not broadcastable"},
		{Div, "tensor: Div: shapes [2 3] and [4] are not broadcastable"},
		{Pow, "tensor: Pow: shapes [2 3] and [4] are not broadcastable"},
		{Minimum, "tensor: Minimum: shapes [2 3] and [4] are not broadcastable"},
		{Maximum, "tensor: Maximum: shapes [2 3] and [4] are not broadcastable"},
	} {
		require.PanicsWithValue(t, tc.want, func() { tc.f(a, b) })
	}
}

func TestInPlace(t *testing.T) {
	dst := FromSlice([]float32{1, 2, 3}, 3)
	AddInto(dst, FromSlice([]float32{10, 20, 30}, 3))
	require.Equal(t, []float32{11, 22, 33}, dst.Data())
	AxpyInto(dst, -2, FromSlice([]float32{1, 1, 0.5}, 3))
	require.Equal(t, []float32{9, 20, 32}, dst.Data())

	rng := rand.New(rand.NewPCG(3, 4))
	big, x := randn(rng, 3, 30001), randn(rng, 3, 30001)
	want := refBinary(big, x, big.Shape(), func(d, x float64) float64 { return float64(float32(d) + float32(0.5)*float32(x)) })
	AxpyInto(big, 0.5, x)
	requireClose(t, want, big.Data(), 0)

	require.PanicsWithValue(t, "tensor: AddInto: shapes [3] and [1 3] differ", func() { AddInto(New(3), New(1, 3)) })
	require.PanicsWithValue(t, "tensor: AxpyInto: shapes [2 2] and [4] differ", func() { AxpyInto(New(2, 2), 1, New(4)) })
}

// TestMulPlanesInto checks that MulPlanesInto gives Mul(s, x) bit for bit
// on planes of 1, 7×7 (49: vector and tail), 14×14 and 3×5×5 values, with
// N·C planes from 1 to thousands (some ranges in parallel), and panics
// when the factors do not fit.
func TestMulPlanesInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][]int{{1, 1, 1, 1}, {2, 3, 7, 7}, {8, 576, 7, 7}, {8, 96, 14, 14}, {3, 5, 3, 5, 5}, {4, 17}} {
		x := randn(rng, shape...)
		sShape := []int{shape[0], shape[1]}
		for range len(shape) - 2 {
			sShape = append(sShape, 1)
		}
		s := randn(rng, sShape...)
		want := Mul(s, x)
		MulPlanesInto(x, s)
		require.Equal(t, want.Data(), x.Data(), "%v", shape)
	}
	require.PanicsWithValue(t, "tensor: MulPlanesInto: 3 factors for x [2 3 4 4], want N·C", func() { MulPlanesInto(New(2, 3, 4, 4), New(3)) })
	require.PanicsWithValue(t, "tensor: MulPlanesInto: 1 factors for x [3], want N·C", func() { MulPlanesInto(New(3), New(1)) })
}

func TestScalarOps(t *testing.T) {
	x := FromSlice([]float32{-2, -0.5, 0, 1, 3}, 5)
	for _, tc := range []struct {
		name string
		got  *Tensor
		ref  func(float64) float64
	}{
		{"AddScalar", AddScalar(x, 1.5), func(v float64) float64 { return v + 1.5 }},
		{"MulScalar", MulScalar(x, -3), func(v float64) float64 { return -3 * v }},
		{"PowScalar 2", PowScalar(x, 2), func(v float64) float64 { return v * v }},
		{"PowScalar 3", PowScalar(x, 3), func(v float64) float64 { return v * v * v }},
		{"PowScalar -1", PowScalar(x, -1), func(v float64) float64 { return 1 / v }},
		{"PowScalar 0.5", PowScalar(x, 0.5), math.Sqrt},
		{"PowScalar 0", PowScalar(x, 0), func(float64) float64 { return 1 }},
	} {
		require.Equal(t, []int{5}, tc.got.Shape(), tc.name)
		want := make([]float64, x.Len())
		for i, v := range x.Data() {
			want[i] = tc.ref(float64(v))
		}
		requireClose(t, want, tc.got.Data(), 1e-7, tc.name)
	}
}

func TestUnaryOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := FromSlice([]float32{0, -1, 1e-30, 88, -104, float32(math.Inf(1)), float32(math.NaN())}, 7)
	for _, x := range []*Tensor{special, Scalar(2.5), New(0, 3), randn(rng, 2, 3, 5), randn(rng, 50001)} {
		c := x.Clone()
		for _, tc := range []struct {
			name string
			f    func(*Tensor) *Tensor
			ref  func(float64) float64
		}{
			{"Neg", Neg, func(v float64) float64 { return -v }},
			{"Exp", Exp, math.Exp},
			{"Log", Log, math.Log},
			{"Sqrt", Sqrt, math.Sqrt},
			{"Abs", Abs, math.Abs},
		} {
			got := tc.f(x)
			require.Equal(t, x.Shape(), got.Shape())
			want := make([]float64, x.Len())
			for i, v := range x.Data() {
				want[i] = float64(float32(tc.ref(float64(v))))
			}
			requireClose(t, want, got.Data(), 1e-7, fmt.Sprintf("%s %v", tc.name, x.Shape()))
		}
		unchanged(t, c, x)
	}
}
