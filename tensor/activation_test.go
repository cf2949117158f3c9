package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// activationInputs include every kink (0, 6, ±3 and the Clamp bounds) and
// values on both sides of it.
var activationInputs = []float32{-7, -3.5, -3, -2.5, -1, -0.5, 0, 0.25, 0.5, 1, 2.5, 3, 3.5, 6, 6.5, 40, -40}

func TestActivations(t *testing.T) {
	x := FromSlice(activationInputs, len(activationInputs))
	c := x.Clone()
	relu6 := func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }
	sigmoid := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	for _, tc := range []struct {
		name string
		got  *Tensor
		ref  func(float64) float64
	}{
		{"Tanh", Tanh(x), math.Tanh},
		{"Sigmoid", Sigmoid(x), sigmoid},
		{"ReLU", ReLU(x), func(v float64) float64 { return math.Max(v, 0) }},
		{"ReLU6", ReLU6(x), relu6},
		{"Swish", Swish(x), func(v float64) float64 { return v * sigmoid(v) }},
		{"HardSwish", HardSwish(x), func(v float64) float64 { return v * relu6(v+3) / 6 }},
		{"HardSigmoid", HardSigmoid(x), func(v float64) float64 { return relu6(v+3) / 6 }},
		{"Clamp", Clamp(x, -1, 2.5), func(v float64) float64 { return math.Min(math.Max(v, -1), 2.5) }},
		{"Clamp point", Clamp(x, 1, 1), func(float64) float64 { return 1 }},
	} {
		want := make([]float64, x.Len())
		for i, v := range x.Data() {
			want[i] = tc.ref(float64(v))
		}
		require.Equal(t, x.Shape(), tc.got.Shape(), tc.name)
		requireClose(t, want, tc.got.Data(), 1e-6, tc.name)
	}
	unchanged(t, c, x)

	nan := FromSlice([]float32{float32(math.NaN())}, 1)
	for _, f := range []func(*Tensor) *Tensor{Tanh, Sigmoid, ReLU, ReLU6, Swish, HardSwish, HardSigmoid} {
		require.True(t, math.IsNaN(float64(f(nan).Data()[0])))
	}
	require.True(t, math.IsNaN(float64(Clamp(nan, 0, 1).Data()[0])))
	require.PanicsWithValue(t, "tensor: Clamp: lower bound 2 exceeds upper bound 1", func() { Clamp(x, 2, 1) })
}

func TestActivationGrads(t *testing.T) {
	x := FromSlice(activationInputs, len(activationInputs))
	dy := New(x.Len())
	for i := range dy.Data() {
		dy.Data()[i] = float32(i%3) - 1.5 // -1.5, -0.5, 0.5, ...
	}
	sigmoid := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	// Derivatives with PyTorch's values at the kinks.
	for _, tc := range []struct {
		name string
		got  *Tensor
		ref  func(float64) float64
	}{
		{"TanhGrad", TanhGrad(Tanh(x), dy), func(v float64) float64 { return 1 - math.Pow(math.Tanh(v), 2) }},
		{"SigmoidGrad", SigmoidGrad(Sigmoid(x), dy), func(v float64) float64 { return sigmoid(v) * (1 - sigmoid(v)) }},
		{"ReLUGrad", ReLUGrad(x, dy), func(v float64) float64 { return b2f(v > 0) }},
		{"ReLU6Grad", ReLU6Grad(x, dy), func(v float64) float64 { return b2f(v > 0 && v < 6) }},
		{"SwishGrad", SwishGrad(x, dy), func(v float64) float64 { s := sigmoid(v); return s + v*s*(1-s) }},
		{"HardSwishGrad", HardSwishGrad(x, dy), func(v float64) float64 {
			switch {
			case v < -3:
				return 0
			case v <= 3:
				return (2*v + 3) / 6
			}
			return 1
		}},
		{"HardSigmoidGrad", HardSigmoidGrad(x, dy), func(v float64) float64 { return b2f(v > -3 && v < 3) / 6 }},
		{"ClampGrad", ClampGrad(x, dy, -1, 2.5), func(v float64) float64 { return b2f(v >= -1 && v <= 2.5) }},
	} {
		want := make([]float64, x.Len())
		for i, v := range x.Data() {
			want[i] = tc.ref(float64(v)) * float64(dy.Data()[i])
		}
		requireClose(t, want, tc.got.Data(), 1e-6, tc.name)
	}

	// The kinks by hand: relu'(0) = 0, relu6' = 0 at 0 and 6, hardswish' is
	// −1/2 at −3 and 3/2 at 3, hardsigmoid' = 0 at ±3, clamp passes at the bounds.
	k := FromSlice([]float32{-3, 0, 3, 6}, 4)
	one := Ones(4)
	require.Equal(t, []float32{0, 0, 1, 1}, ReLUGrad(k, one).Data())
	require.Equal(t, []float32{0, 0, 1, 0}, ReLU6Grad(k, one).Data())
	require.Equal(t, []float32{-0.5, 0.5, 1.5, 1}, HardSwishGrad(k, one).Data())
	require.Equal(t, []float32{0, 1.0 / 6, 0, 0}, HardSigmoidGrad(k, one).Data())
	require.Equal(t, []float32{1, 1, 1, 0}, ClampGrad(k, one, -3, 3).Data())

	require.PanicsWithValue(t, "tensor: ReLUGrad: input shape [2] and gradient shape [3] differ",
		func() { ReLUGrad(New(2), New(3)) })
	require.PanicsWithValue(t, "tensor: SigmoidGrad: input shape [2 1] and gradient shape [2] differ",
		func() { SigmoidGrad(New(2, 1), New(2)) })
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestSigmoidFloat32 checks SigmoidFloat32 against Sigmoid: within 4 units
// in the last place, on the activation inputs and on a range of 20,001
// values in [−100, 100], splitting work over workers.
func TestSigmoidFloat32(t *testing.T) {
	in := append([]float32(nil), activationInputs...)
	for i := range 20001 {
		in = append(in, float32(-100+float64(i)/100))
	}
	x := FromSlice(in, len(in))
	got, want := SigmoidFloat32(x).Data(), Sigmoid(x).Data()
	for i, w := range want {
		ulp := float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
		require.InDelta(t, w, got[i], 4*ulp+1e-30, "σ(%v)", in[i])
	}
}
