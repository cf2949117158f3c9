package models

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/nn"
)

func TestParseActivation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Activation
	}{
		{"relu", ReLU}, {"ReLU6", ReLU6}, {"swish", Swish}, {"SiLU", Swish}, {" hswish ", HardSwish},
		{"hardswish", HardSwish}, {"sigmoid", Sigmoid}, {"hardsigmoid", HardSigmoid}, {"Hardsigmoid", HardSigmoid},
	} {
		got, err := ParseActivation(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	_, err := ParseActivation("default")
	assert.Error(t, err, "default is not a nonlinearity")
	_, err = ParseActivation("gelu")
	assert.EqualError(t, err, `unknown activation "gelu"; want relu, relu6, swish, hardswish, sigmoid or hardsigmoid`)
}

func TestActivationJSON(t *testing.T) {
	for a := DefaultActivation; a <= HardSigmoid; a++ {
		b, err := json.Marshal(a)
		require.NoError(t, err)
		var back Activation
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		assert.Equal(t, a, back, string(b))
	}
	b, _ := json.Marshal(Swish)
	assert.Equal(t, `"swish"`, string(b))
	_, err := json.Marshal(Activation(42))
	assert.Error(t, err)
	var a Activation
	assert.Error(t, json.Unmarshal([]byte(`"tanh"`), &a))
}

// ScaleWidth is the rounding Build applies to block widths.
func TestScaleWidth(t *testing.T) {
	for _, tc := range []struct {
		w       int
		m       float64
		divisor int
		want    int
	}{
		{32, 1, 8, 32}, {32, 0.35, 8, 16}, {16, 0.5, 8, 8}, {24, 0.75, 8, 24}, {40, 0.5, 8, 24}, {96, 1.4, 8, 136}, {7, 1, 1, 7},
	} {
		assert.Equal(t, tc.want, ScaleWidth(tc.w, tc.m, tc.divisor), "%d×%v /%d", tc.w, tc.m, tc.divisor)
	}
	blocks := MustParseArch("r1_k3_s11_e1_i32_o16\nr2_k3_s22_e6_i16_o40")
	net, err := Build(blocks, Config{WidthMultiplier: 0.35, Classes: 2}, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	for _, l := range net.Layers {
		assert.Contains(t, []int{ScaleWidth(32, 0.35, 8), ScaleWidth(16, 0.35, 8), ScaleWidth(40, 0.35, 8)}, l.Out)
	}
	assert.Equal(t, ScaleWidth(40, 0.35, 8), net.Layers[2].Out)
	assert.Panics(t, func() { ScaleWidth(8, 1, 0) })
}

// String gives PyTorch's module names, and Module builds the layer that
// PyTorch prints under that name.
func TestActivationStringAndModule(t *testing.T) {
	for a, want := range map[Activation]string{
		DefaultActivation: "default", ReLU: "ReLU", ReLU6: "ReLU6", Swish: "SiLU",
		HardSwish: "Hardswish", Sigmoid: "Sigmoid", HardSigmoid: "Hardsigmoid",
		Activation(42): "Activation(42)", Activation(-1): "Activation(-1)",
	} {
		assert.Equal(t, want, a.String())
		if a.valid() {
			assert.Equal(t, want+"()", nn.Repr(a.Module()))
		} else {
			assert.Panics(t, func() { a.Module() }, "%v", a)
		}
	}
}
