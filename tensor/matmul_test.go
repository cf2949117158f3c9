package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refMatMul computes MatMul in float64 with explicit broadcasting loops.
func refMatMul(a, b *Tensor, transA, transB bool) ([]int, []float64) {
	ra, rb := a.NDim(), b.NDim()
	m, k := a.shape[ra-2], a.shape[ra-1]
	if transA {
		m, k = k, m
	}
	n := b.shape[rb-1]
	if transB {
		n = b.shape[rb-2]
	}
	aB, bB := a.shape[:ra-2], b.shape[:rb-2]
	batch, _ := BroadcastShapes(aB, bB)
	// batchIndex maps the broadcast batch index to an operand's matrix index.
	batchIndex := func(bi int, in []int) int {
		idx := make([]int, len(batch))
		for d := len(batch) - 1; d >= 0; d-- {
			idx[d] = bi % batch[d]
			bi /= batch[d]
		}
		off := 0
		for d, sz := range in {
			i := idx[len(batch)-len(in)+d]
			if sz == 1 {
				i = 0
			}
			off = off*sz + i
		}
		return off
	}
	nb := NumElements(batch)
	out := make([]float64, nb*m*n)
	for bi := range nb {
		ao, bo := batchIndex(bi, aB)*m*k, batchIndex(bi, bB)*k*n
		for i := range m {
			for j := range n {
				var s float64
				for p := range k {
					av := a.data[ao+i*k+p]
					if transA {
						av = a.data[ao+p*m+i]
					}
					bv := b.data[bo+p*n+j]
					if transB {
						bv = b.data[bo+j*k+p]
					}
					s += float64(av) * float64(bv)
				}
				out[(bi*m+i)*n+j] = s
			}
		}
	}
	return append(batch, m, n), out
}

func TestMatMulMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		a, b           []int
		transA, transB bool
	}{
		{a: []int{2, 3}, b: []int{3, 4}},
		{a: []int{3, 2}, b: []int{3, 4}, transA: true},
		{a: []int{2, 3}, b: []int{4, 3}, transB: true},
		{a: []int{3, 2}, b: []int{4, 3}, transA: true, transB: true},
		{a: []int{1, 5}, b: []int{5, 1}},
		{a: []int{7, 1}, b: []int{1, 9}},
		{a: []int{33, 70}, b: []int{70, 45}},
		{a: []int{2, 3, 4, 5}, b: []int{5, 6}},               // batch folded into M
		{a: []int{2, 3, 4, 5}, b: []int{1, 1, 5, 6}},         // folded, size-1 batch of b
		{a: []int{2, 3, 5, 4}, b: []int{5, 6}, transA: true}, // not foldable
		{a: []int{2, 1, 3, 4}, b: []int{5, 4, 6}},            // broadcast both ways
		{a: []int{1, 3, 4}, b: []int{2, 6, 4}, transB: true}, // broadcast a
		{a: []int{4, 3}, b: []int{3, 3, 2}},                  // unbatched a
		{a: []int{2, 4, 3}, b: []int{2, 2, 4}, transA: true, transB: true},
		{a: []int{3, 0}, b: []int{0, 4}},             // K = 0
		{a: []int{0, 3, 4}, b: []int{4, 2}},          // empty batch
		{a: []int{2, 65, 130}, b: []int{2, 130, 70}}, // parallel GEMM tiles
	} {
		a, b := denseRandn(rng, tc.a...), denseRandn(rng, tc.b...)
		shape, want := refMatMul(a, b, tc.transA, tc.transB)
		got := MatMul(a, b, tc.transA, tc.transB)
		require.Equal(t, shape, got.Shape(), "%v", tc)
		requireCloseTo64(t, want, got.Data(), 1e-5, tc)
	}
}

func TestMatMulPanics(t *testing.T) {
	for _, tc := range []struct {
		a, b           []int
		transA, transB bool
		want           string
	}{
		{a: []int{2, 3}, b: []int{4, 5},
			want: "tensor: MatMul: inner dimensions differ: a [2 3] (K=3), b [4 5] (K=4)"},
		{a: []int{2, 3}, b: []int{4, 3}, transA: true, transB: true,
			want: "tensor: MatMul: inner dimensions differ: a [2 3] transposed (K=2), b [4 3] transposed (K=3)"},
		{a: []int{3}, b: []int{3, 4},
			want: "tensor: MatMul: operands must be at least 2-D, got a [3] and b [3 4]"},
		{a: []int{2, 3, 4}, b: []int{3, 4, 5},
			want: "tensor: MatMul: batch dimensions [2] of a [2 3 4] and [3] of b [3 4 5] are not broadcastable"},
	} {
		require.PanicsWithValue(t, tc.want, func() { MatMul(New(tc.a...), New(tc.b...), tc.transA, tc.transB) })
	}
}
