package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func TestFanInOut(t *testing.T) {
	tests := []struct {
		shape         []int
		fanIn, fanOut int
	}{
		{[]int{10, 4}, 4, 10},            // Linear out×in
		{[]int{32, 3, 3, 3}, 27, 288},    // Conv2d
		{[]int{96, 1, 5, 5}, 25, 2400},   // depthwise
		{[]int{16, 8, 1, 1}, 8, 16},      // pointwise
		{[]int{2, 3, 4, 5, 6}, 360, 240}, // any rank
	}
	for _, tc := range tests {
		in, out := nn.FanInOut(tc.shape)
		assert.Equal(t, tc.fanIn, in, "%v", tc.shape)
		assert.Equal(t, tc.fanOut, out, "%v", tc.shape)
	}
	assert.PanicsWithValue(t, "nn: FanInOut: shape [5] has fewer than 2 dimensions: fan in and fan out are undefined", func() { nn.FanInOut([]int{5}) })
}

func TestGain(t *testing.T) {
	assert.Equal(t, 1.0, nn.Gain("linear", 0))
	assert.Equal(t, 1.0, nn.Gain("sigmoid", 0))
	assert.Equal(t, math.Sqrt2, nn.Gain("relu", 0))
	assert.InDelta(t, 5.0/3, nn.Gain("tanh", 0), 1e-15)
	assert.InDelta(t, math.Sqrt(1.0/3), nn.Gain("leaky_relu", math.Sqrt(5)), 1e-15)
	assert.PanicsWithValue(t, `nn: Gain: unsupported nonlinearity "gelu"`, func() { nn.Gain("gelu", 0) })
}

// moments returns the mean, standard deviation and largest magnitude of t.
func moments(t *tensor.Tensor) (mean, std, maxAbs float64) {
	for _, v := range t.Data() {
		mean += float64(v)
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(t.Len())
	for _, v := range t.Data() {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(t.Len())), maxAbs
}

func TestInitDistributions(t *testing.T) {
	rng := newRNG(30)
	const n = 64 * 32 * 3 * 3 // 18432 samples: relative std error of std ≈ 0.5%
	tests := []struct {
		name  string
		fill  func(*tensor.Tensor)
		std   float64 // wanted standard deviation
		bound float64 // wanted bound of a uniform, or 0
	}{
		{"KaimingNormal fan_in relu", func(w *tensor.Tensor) { nn.FillKaimingNormal(rng, w, nn.FanIn, nn.Gain("relu", 0)) }, math.Sqrt(2.0 / 288), 0},
		{"KaimingNormal fan_out relu", func(w *tensor.Tensor) { nn.FillKaimingNormal(rng, w, nn.FanOut, nn.Gain("relu", 0)) }, math.Sqrt(2.0 / 576), 0},
		{"KaimingUniform default", func(w *tensor.Tensor) { nn.FillKaimingUniform(rng, w, nn.FanIn, nn.Gain("leaky_relu", math.Sqrt(5))) }, 1 / math.Sqrt(288) / math.Sqrt(3), 1 / math.Sqrt(288)},
		{"Normal", func(w *tensor.Tensor) { nn.FillNormal(rng, w, 0, 0.02) }, 0.02, 0},
		{"Uniform", func(w *tensor.Tensor) { nn.FillUniform(rng, w, -0.5, 0.5) }, 0.5 / math.Sqrt(3), 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tensor.New(64, 32, 3, 3)
			tc.fill(w)
			mean, std, maxAbs := moments(w)
			assert.InDelta(t, 0, mean, 4*tc.std/math.Sqrt(n))
			assert.InEpsilon(t, tc.std, std, 0.03)
			if tc.bound > 0 {
				assert.LessOrEqual(t, maxAbs, tc.bound)
				assert.Greater(t, maxAbs, 0.99*tc.bound)
			}
		})
	}
	w := tensor.New(3, 4)
	nn.FillOnes(w)
	assert.Equal(t, tensor.Ones(3, 4).Data(), w.Data())
	nn.FillZeros(w)
	assert.Equal(t, tensor.New(3, 4).Data(), w.Data())
	assert.Equal(t, "fan_in", nn.FanIn.String())
	assert.Equal(t, "fan_out", nn.FanOut.String())
}

func TestMnasNetInit(t *testing.T) {
	rng := newRNG(31)
	// A regular conv: fan_out = kh·kw·Out.
	c := nn.NewConv2d(rng, 32, 64, 3, nn.ConvConfig{Bias: true})
	nn.MnasNetConvInit(rng, c)
	_, std, _ := moments(c.Weight.Value)
	assert.InEpsilon(t, math.Sqrt(2.0/(3*3*64)), std, 0.03)
	assert.Equal(t, tensor.New(64).Data(), c.Bias.Value.Data())
	// A depthwise conv: TensorFlow's fan_out is kh·kw·multiplier.
	dw := nn.NewConv2d(rng, 480, 480, 5, nn.ConvConfig{Groups: 480, Padding: 2})
	nn.MnasNetConvInit(rng, dw)
	_, std, _ = moments(dw.Weight.Value)
	assert.InEpsilon(t, math.Sqrt(2.0/25), std, 0.03)
	// Dense: U(±1/√Out).
	l := nn.NewLinear(rng, 1280, 1000, true)
	nn.MnasNetDenseInit(rng, l)
	_, std, maxAbs := moments(l.Weight.Value)
	assert.InEpsilon(t, 1/math.Sqrt(1000)/math.Sqrt(3), std, 0.03)
	assert.LessOrEqual(t, maxAbs, 1/math.Sqrt(1000))
	assert.Equal(t, tensor.New(1000).Data(), l.Bias.Value.Data())
}
