package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBroadcastShapes(t *testing.T) {
	for _, tc := range []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{2, 3}, []int{2, 3}, []int{2, 3}, true},
		{[]int{2, 3}, []int{3}, []int{2, 3}, true},
		{[]int{}, []int{4}, []int{4}, true},
		{[]int{2, 1, 5}, []int{4, 1}, []int{2, 4, 5}, true},
		{[]int{1, 0}, []int{3, 1}, []int{3, 0}, true},
		{[]int{2, 3}, []int{4}, nil, false},
		{[]int{2, 3}, []int{3, 3}, nil, false},
	} {
		s, ok := BroadcastShapes(tc.a, tc.b)
		require.Equal(t, tc.ok, ok, "%v %v", tc.a, tc.b)
		require.Equal(t, tc.want, s, "%v %v", tc.a, tc.b)
	}
}

// TestBroadcastToSumTo checks BroadcastTo against the reference and SumTo as
// its adjoint, ⟨BroadcastTo(x), g⟩ = ⟨x, SumTo(g)⟩, element by element.
func TestBroadcastToSumTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range broadcastCases {
		shape, _ := BroadcastShapes(tc.a, tc.b)
		for _, in := range [][]int{tc.a, tc.b} {
			x := randn(rng, in...)
			got := BroadcastTo(x, shape)
			require.Equal(t, shape, got.Shape())
			requireClose(t, refBinary(x, Scalar(0), shape, func(v, _ float64) float64 { return v }), got.Data(), 0, "%v to %v", in, shape)

			g := randn(rng, shape...)
			s := SumTo(g, in)
			require.Equal(t, in, s.Shape())
			want := make([]float64, x.Len())
			for i, o := range broadcastOffsets(in, shape) {
				want[o] += float64(g.Data()[i])
			}
			requireClose(t, want, s.Data(), 1e-4, "SumTo %v to %v", shape, in)
		}
	}
}
