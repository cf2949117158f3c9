package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// poisonPool puts count NaN-filled buffers of n's size class into the
// buffer pool, so that the next outputs of that class that an operation
// takes without clearing (newOutUninit) start as NaN, and returns the
// addresses of their first elements.
func poisonPool(n, count int) map[*float32]bool {
	c := sizeClass(n)
	firsts := map[*float32]bool{}
	for range count {
		b := make([]float32, 1<<c)
		for i := range b {
			b[i] = float32(math.NaN())
		}
		firsts[&b[0]] = true
		poolPut(c, b)
	}
	return firsts
}

// TestUninitOutputsOverwriteEveryElement checks the operations whose
// outputs come from the pool uncleared (newOutUninit): given buffers full
// of NaN from earlier results, each still writes every element, so its
// results are those computed into fresh buffers bit for bit.
func TestUninitOutputsOverwriteEveryElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 3))
	// Sizes of the retained classes (≥ 1<<minRetainClass elements), whose
	// free lists hand back the last buffer put.
	x := Normal(rng, 0, 1, 4, 16, 32, 33)
	g := Normal(rng, 0, 1, 4, 16, 1, 1)
	y := Normal(rng, 0, 1, 4, 16, 32, 33)
	a := Normal(rng, 0, 1, 2, 150, 130)
	b := Normal(rng, 0, 1, 2, 130, 140)
	at := Normal(rng, 0, 1, 130, 150)
	bt := Normal(rng, 0, 1, 140, 130)
	tall := Normal(rng, 0, 1, 1<<14+3, 30)
	v := Normal(rng, 0, 1, 30, 1)
	row := Normal(rng, 0, 1, 1, 30)
	wide := Normal(rng, 0, 1, 30, 1<<14+3)
	empty := New(150, 0)
	emptyB := New(0, 1<<14/2)
	cases := []struct {
		name string
		f    func() *Tensor
	}{
		{"Add", func() *Tensor { return Add(x, y) }},
		{"Add broadcast", func() *Tensor { return Add(x, g) }},
		{"Sub", func() *Tensor { return Sub(y, x) }},
		{"Mul broadcast", func() *Tensor { return Mul(g, x) }},
		{"Div", func() *Tensor { return Div(x, y) }},
		{"BroadcastTo", func() *Tensor { return BroadcastTo(g, []int{4, 16, 32, 33}) }},
		{"Permute", func() *Tensor { return Permute(x, 0, 2, 3, 1) }},
		{"Slice", func() *Tensor { return Slice(Concat(1, x, y), 1, 1, 31, 1) }},
		{"Slice step", func() *Tensor { return Slice(Concat(2, x, x, y, y), 2, 1, 128, 2) }},
		{"Concat", func() *Tensor { return Concat(0, x, y) }},
		{"MulScalar", func() *Tensor { return MulScalar(x, 0.3) }},
		{"AddScalar", func() *Tensor { return AddScalar(x, 0.3) }},
		{"Swish", func() *Tensor { return Swish(x) }},
		{"Sigmoid", func() *Tensor { return Sigmoid(x) }},
		{"Tanh", func() *Tensor { return Tanh(x) }},
		{"HardSwish", func() *Tensor { return HardSwish(x) }},
		{"HardSigmoid", func() *Tensor { return HardSigmoid(x) }},
		{"ReLU", func() *Tensor { return ReLU(x) }},
		{"Clamp", func() *Tensor { return Clamp(x, -0.5, 0.5) }},
		{"Exp", func() *Tensor { return Exp(x) }},
		{"Abs", func() *Tensor { return Abs(x) }},
		{"Neg", func() *Tensor { return Neg(x) }},
		{"PowScalar", func() *Tensor { return PowScalar(x, 2) }},
		{"MatMul", func() *Tensor { return MatMul(a, b, false, false) }},
		{"MatMul Aᵀ", func() *Tensor { return MatMul(at, b, true, false) }},
		{"MatMul Bᵀ", func() *Tensor { return MatMul(a, bt, false, true) }},
		{"MatMul AᵀBᵀ", func() *Tensor { return MatMul(at, bt, true, true) }},
		{"MatMul n=1", func() *Tensor { return MatMul(tall, v, false, false) }},
		{"MatMul m=1", func() *Tensor { return MatMul(row, wide, false, false) }},
		{"MatMul k=0", func() *Tensor { return MatMul(empty, emptyB, false, false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.f()
			require.False(t, hasNaN(want.Data()), "fresh result has NaN")
			require.GreaterOrEqual(t, want.Len(), 1<<minRetainClass, "too small for the retained pool")
			poisoned := poisonPool(want.Len(), 8)
			got := c.f()
			require.Equal(t, want.Shape(), got.Shape())
			require.True(t, poisoned[&got.Data()[0]], "the result did not take a poisoned buffer")
			for i, w := range want.Data() {
				if math.Float32bits(w) != math.Float32bits(got.Data()[i]) {
					t.Fatalf("element %d: %v after a poisoned pool, %v fresh", i, got.Data()[i], w)
				}
			}
		})
	}
}

func hasNaN(d []float32) bool {
	for _, v := range d {
		if v != v {
			return true
		}
	}
	return false
}
