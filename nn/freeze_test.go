package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

// TestFreeze checks that frozen convolutions compute what they computed
// unfrozen, bit for bit, alone and fused with their batch norm, on every
// kind of convolution (1×1, the stem's strided 3×3, grouped, depthwise;
// biased ones are left alone); that they keep the weights' values of the
// time of Freeze until frozen again; and that Unfreeze, training mode, a
// forward pass with gradients, a replaced weight tensor and
// LoadStateDict each drop the frozen copy.
func TestFreeze(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	convs := []*Conv2d{
		NewConv2d(rng, 16, 40, 1, ConvConfig{}),
		NewConv2d(rng, 3, 16, 3, ConvConfig{Stride: 2, Padding: 1}),
		NewConv2d(rng, 16, 24, 3, ConvConfig{Padding: 1, Groups: 4}),
		NewConv2d(rng, 16, 16, 3, ConvConfig{Padding: 1, Groups: 16}),
		NewConv2d(rng, 16, 8, 1, ConvConfig{Bias: true}),
	}
	inputs := []int{16, 3, 16, 16, 16}
	seq := NewSequential()
	for _, c := range convs {
		seq.Append(c)
	}
	frozen := func(c *Conv2d) bool { return c.frozen.Load() != nil }
	forward := func(c *Conv2d, x *autograd.Var) (plain, fused []float32) {
		bn := NewBatchNorm2d(c.Out, BatchNormConfig{})
		copy(bn.RunningVar.Data(), tensor.Uniform(rand.New(rand.NewPCG(1, 1)), 0.5, 2, c.Out).Data())
		SetTraining(bn, false)
		autograd.NoGrad(func() {
			plain = c.Forward(x).Value.Data()
			if f := FusedConvBN(c, bn, x, 0, 6, true); f != nil {
				fused = f.Value.Data()
			}
		})
		return plain, fused
	}
	for i, c := range convs {
		x := autograd.Const(tensor.Normal(rng, 0, 1, 2, inputs[i], 9, 9))
		wantPlain, wantFused := forward(c, x)
		Freeze(seq)
		require.Equal(t, c.Bias == nil, frozen(c), "conv %d frozen", i)
		gotPlain, gotFused := forward(c, x)
		require.Equal(t, wantPlain, gotPlain, "conv %d", i)
		require.Equal(t, wantFused, gotFused, "conv %d fused", i)
		if c.Bias != nil {
			continue
		}

		// Writes into the weights are not seen until Freeze again.
		w := c.Weight.Value.Data()
		old := append([]float32(nil), w...)
		for j := range w {
			w[j] *= 2
		}
		stale, _ := forward(c, x)
		require.Equal(t, wantPlain, stale, "conv %d: the frozen copy", i)
		Freeze(c)
		fresh, _ := forward(c, x)
		Unfreeze(c)
		require.False(t, frozen(c))
		live, _ := forward(c, x)
		require.Equal(t, live, fresh, "conv %d: frozen again", i)
		copy(w, old)

		// What drops the frozen copy.
		drops := []struct {
			what string
			do   func()
		}{
			{"Unfreeze", func() { Unfreeze(seq) }},
			{"training mode", func() { SetTraining(seq, true); SetTraining(seq, false) }},
			{"a forward pass with gradients", func() { c.Forward(x) }},
			{"a new weight tensor", func() {
				c.Weight.Value = c.Weight.Value.Clone()
				require.Nil(t, c.frozenWeight())
			}},
			{"LoadStateDict", func() {
				_, err := LoadStateDict(seq, StateDict(seq), true)
				require.NoError(t, err)
			}},
		}
		for _, d := range drops {
			Freeze(seq)
			require.True(t, frozen(c), d.what)
			d.do()
			require.False(t, frozen(c), "conv %d: %s", i, d.what)
			got, _ := forward(c, x)
			require.Equal(t, wantPlain, got, "conv %d after %s", i, d.what)
		}
	}
}

// TestFreezeLinear checks that frozen linear layers compute what they
// computed unfrozen, bit for bit, for batches of 1 to 9 rows (the
// classifier of a batch of images), 2-D and 3-D inputs, with and without
// bias; that they keep the weights' values of the time of Freeze; and
// that Unfreeze, training mode, a forward pass with gradients, a replaced
// weight tensor and LoadStateDict each drop the frozen copy.
func TestFreezeLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bias := range []bool{true, false} {
		l := NewLinear(rng, 1280, 1000, bias)
		frozen := func() bool { return l.frozen.Load() != nil }
		forward := func(x *autograd.Var) (y []float32) {
			autograd.NoGrad(func() { y = l.Forward(x).Value.Data() })
			return y
		}
		for _, shape := range [][]int{{1, 1280}, {2, 1280}, {8, 1280}, {9, 1280}, {2, 3, 1280}} {
			x := autograd.Const(tensor.Normal(rng, 0, 1, shape...))
			want := forward(x)
			Freeze(l)
			require.True(t, frozen())
			require.Equal(t, want, forward(x), "bias %v, x %v", bias, shape)

			w := l.Weight.Value.Data()
			old := append([]float32(nil), w...)
			for j := range w {
				w[j] *= 2
			}
			require.Equal(t, want, forward(x), "the frozen copy")
			copy(w, old)

			drops := []struct {
				what string
				do   func()
			}{
				{"Unfreeze", func() { Unfreeze(l) }},
				{"training mode", func() { SetTraining(l, true); SetTraining(l, false) }},
				{"a forward pass with gradients", func() { l.Forward(x) }},
				{"a new weight tensor", func() {
					l.Weight.Value = l.Weight.Value.Clone()
					require.Nil(t, l.frozenWeight())
				}},
				{"LoadStateDict", func() {
					_, err := LoadStateDict(l, StateDict(l), true)
					require.NoError(t, err)
				}},
			}
			for _, d := range drops {
				Freeze(l)
				require.True(t, frozen(), d.what)
				d.do()
				require.False(t, frozen(), d.what)
				require.Equal(t, want, forward(x), "after %s", d.what)
			}
		}
	}
}
