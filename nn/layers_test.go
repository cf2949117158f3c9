package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// Every layer is a Module and a Describer.
var (
	_ nn.Module = (*nn.Conv2d)(nil)
	_ nn.Module = (*nn.BatchNorm2d)(nil)
	_ nn.Module = (*nn.Linear)(nil)
	_ nn.Module = (*nn.ReLU)(nil)
	_ nn.Module = (*nn.ReLU6)(nil)
	_ nn.Module = (*nn.Swish)(nil)
	_ nn.Module = (*nn.HardSwish)(nil)
	_ nn.Module = (*nn.Sigmoid)(nil)
	_ nn.Module = (*nn.HardSigmoid)(nil)
	_ nn.Module = (*nn.Identity)(nil)
	_ nn.Module = (*nn.Dropout)(nil)
	_ nn.Module = (*nn.AvgPool2d)(nil)
	_ nn.Module = (*nn.GlobalAvgPool2d)(nil)
	_ nn.Module = (*nn.Flatten)(nil)
	_ nn.Module = (*nn.Sequential)(nil)
	_ nn.Module = (*nn.SqueezeExcite)(nil)

	_ nn.Describer = (*nn.Conv2d)(nil)
	_ nn.Describer = (*nn.SqueezeExcite)(nil)
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

// names returns the dotted names and shapes of m's parameters and buffers.
func names(m nn.Module) (params, buffers map[string][]int) {
	params, buffers = map[string][]int{}, map[string][]int{}
	for _, p := range nn.NamedParams(m) {
		params[p.Name] = p.Var.Value.Shape()
	}
	for _, b := range nn.NamedBuffers(m) {
		buffers[b.Name] = b.Tensor.Shape()
	}
	return params, buffers
}

func TestConv2d(t *testing.T) {
	tests := []struct {
		name          string
		in, out, k    int
		opt           nn.ConvConfig
		x             []int
		wantY, wantW  []int
		wantBias      bool
		str           string
		wantParamsLen int
	}{
		{"plain", 3, 8, 3, nn.ConvConfig{}, []int{2, 3, 7, 7}, []int{2, 8, 5, 5}, []int{8, 3, 3, 3}, false,
			"Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), bias=False)", 216},
		{"stem", 3, 16, 3, nn.ConvConfig{Stride: 2, Padding: 1}, []int{1, 3, 9, 9}, []int{1, 16, 5, 5}, []int{16, 3, 3, 3}, false,
			"Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)", 432},
		{"depthwise", 8, 8, 5, nn.ConvConfig{Padding: 2, Groups: 8}, []int{2, 8, 6, 6}, []int{2, 8, 6, 6}, []int{8, 1, 5, 5}, false,
			"Conv2d(8, 8, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), groups=8, bias=False)", 200},
		{"grouped bias", 4, 6, 3, nn.ConvConfig{Padding: 1, Groups: 2, Bias: true}, []int{1, 4, 4, 4}, []int{1, 6, 4, 4}, []int{6, 2, 3, 3}, true,
			"Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)", 114},
		{"dilated", 2, 2, 3, nn.ConvConfig{Padding: 2, Dilation: 2}, []int{1, 2, 5, 5}, []int{1, 2, 5, 5}, []int{2, 2, 3, 3}, false,
			"Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), bias=False)", 36},
		{"rectangular", 2, 3, 3, nn.ConvConfig{StrideHW: [2]int{2, 1}, PaddingHW: [2]int{0, 1}, Bias: true}, []int{1, 2, 7, 5}, []int{1, 3, 3, 5}, []int{3, 2, 3, 3}, true,
			"Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 1), padding=(0, 1))", 57},
		{"pointwise", 16, 4, 1, nn.ConvConfig{Bias: true}, []int{3, 16, 2, 2}, []int{3, 4, 2, 2}, []int{4, 16, 1, 1}, true,
			"Conv2d(16, 4, kernel_size=(1, 1), stride=(1, 1))", 68},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(1)
			c := nn.NewConv2d(rng, tc.in, tc.out, tc.k, tc.opt)
			assert.Equal(t, tc.str, c.String())
			assert.Equal(t, tc.wantParamsLen, nn.NumParams(c))
			params, buffers := names(c)
			want := map[string][]int{"weight": tc.wantW}
			if tc.wantBias {
				want["bias"] = []int{tc.out}
			}
			assert.Equal(t, want, params)
			assert.Empty(t, buffers)
			assert.Equal(t, tc.wantBias, c.Bias != nil)

			// PyTorch's default init: U(±1/√fanIn) for weight and bias.
			bound := 1 / math.Sqrt(float64(tc.in/max(tc.opt.Groups, 1)*tc.k*tc.k))
			for _, p := range nn.NamedParams(c) {
				for _, v := range p.Var.Value.Data() {
					require.LessOrEqual(t, math.Abs(float64(v)), bound, p.Name)
				}
			}

			x := autograd.Const(tensor.Normal(rng, 0, 1, tc.x...))
			y := c.Forward(x)
			assert.Equal(t, tc.wantY, y.Shape())
			assert.Equal(t, autograd.Conv2D(x, c.Weight, c.Bias, c.Params).Value.Data(), y.Value.Data())
		})
	}
}

// panicCase is a call f that must panic with the message msg.
type panicCase struct {
	name, msg string
	f         func()
}

// checkPanics checks each case in a subtest named after it.
func checkPanics(t *testing.T, cases []panicCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.PanicsWithValue(t, tc.msg, tc.f) })
	}
}

func TestConv2dPanics(t *testing.T) {
	rng := newRNG(2)
	c := nn.NewConv2d(rng, 4, 8, 3, nn.ConvConfig{})
	checkPanics(t, []panicCase{
		{"channels", "nn: Conv2d: input [2 3 8 8] has 3 channels, want 4",
			func() { c.Forward(autograd.Const(tensor.New(2, 3, 8, 8))) }},
		{"rank", "nn: Conv2d: input [2 4 8] is not 4-D N×C×H×W",
			func() { c.Forward(autograd.Const(tensor.New(2, 4, 8))) }},
		{"groups", "nn: NewConv2d: groups 3 must divide in channels 4 and out channels 6",
			func() { nn.NewConv2d(rng, 4, 6, 3, nn.ConvConfig{Groups: 3}) }},
		{"size", "nn: NewConv2d: in 0, out 8 and kernel 3 must be positive",
			func() { nn.NewConv2d(rng, 0, 8, 3, nn.ConvConfig{}) }},
		{"negative", "nn: NewConv2d: negative option in {Stride:0 Padding:-1 Dilation:0 Groups:0 Bias:false StrideHW:[0 0] PaddingHW:[0 0]}",
			func() { nn.NewConv2d(rng, 4, 8, 3, nn.ConvConfig{Padding: -1}) }},
	})
}

func TestLinear(t *testing.T) {
	rng := newRNG(3)
	l := nn.NewLinear(rng, 4, 3, true)
	assert.Equal(t, "Linear(in_features=4, out_features=3, bias=True)", l.String())
	assert.Equal(t, "Linear(in_features=4, out_features=2, bias=False)", nn.NewLinear(rng, 4, 2, false).String())
	params, _ := names(l)
	assert.Equal(t, map[string][]int{"weight": {3, 4}, "bias": {3}}, params)
	for _, p := range nn.NamedParams(l) {
		for _, v := range p.Var.Value.Data() {
			require.LessOrEqual(t, math.Abs(float64(v)), 0.5, p.Name) // 1/√4
		}
	}

	x := tensor.Normal(rng, 0, 1, 2, 4)
	y := l.Forward(autograd.Const(x))
	require.Equal(t, []int{2, 3}, y.Shape())
	w, b := l.Weight.Value, l.Bias.Value
	for n := range 2 {
		for o := range 3 {
			want := float64(b.At(o))
			for i := range 4 {
				want += float64(x.At(n, i)) * float64(w.At(o, i))
			}
			assert.InDelta(t, want, y.Value.At(n, o), 1e-5)
		}
	}

	// Leading axes are kept: 2×1×4 → 2×1×3, and 4 → 3.
	y3 := l.Forward(autograd.Const(x.Reshape(2, 1, 4)))
	assert.Equal(t, []int{2, 1, 3}, y3.Shape())
	assert.Equal(t, y.Value.Data(), y3.Value.Data())
	y1 := l.Forward(autograd.Const(tensor.FromSlice(x.Data()[:4], 4)))
	assert.Equal(t, []int{3}, y1.Shape())
	assert.Equal(t, y.Value.Data()[:3], y1.Value.Data())
	assert.PanicsWithValue(t, "nn: Linear: input [2 5] has 5 features, want 4", func() { l.Forward(autograd.Const(tensor.New(2, 5))) })
	assert.PanicsWithValue(t, "nn: NewLinear: in 0 and out 3 must be positive", func() { nn.NewLinear(rng, 0, 3, true) })
}
