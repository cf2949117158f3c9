package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autonl-go/autonl/tensor"
)

// FanMode selects which fan of a weight an initializer scales by.
type FanMode int

const (
	// FanIn scales by the number of inputs of each output unit, which
	// preserves the variance of activations in the forward pass.
	FanIn FanMode = iota
	// FanOut scales by the number of outputs each input reaches, which
	// preserves the variance of gradients in the backward pass.
	FanOut
)

// String returns "fan_in" or "fan_out", PyTorch's names of the modes.
func (m FanMode) String() string {
	switch m {
	case FanIn:
		return "fan_in"
	case FanOut:
		return "fan_out"
	}
	return fmt.Sprintf("FanMode(%d)", int(m))
}

// FanInOut returns the fans of a weight of the given shape as PyTorch's
// torch.nn.init._calculate_fan_in_and_fan_out computes them: with
// r = shape[2]·shape[3]·… the receptive field size (1 for a matrix),
//
//	fanIn = shape[1]·r,  fanOut = shape[0]·r.
//
// For a Linear weight (out×in) that is in and out; for a Conv2d weight
// (out × in/groups × kh × kw) it is in/groups·kh·kw and out·kh·kw. It
// panics if the shape has fewer than 2 dimensions.
func FanInOut(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: FanInOut: shape %v has fewer than 2 dimensions: fan in and fan out are undefined", shape))
	}
	r := 1
	for _, d := range shape[2:] {
		r *= d
	}
	return shape[1] * r, shape[0] * r
}

// fan returns the fan of t selected by mode, panicking for an empty fan.
func fan(op string, t *tensor.Tensor, mode FanMode) float64 {
	in, out := FanInOut(t.Shape())
	var f int
	switch mode {
	case FanIn:
		f = in
	case FanOut:
		f = out
	default:
		panic(fmt.Sprintf("nn: %s: invalid mode %v, want FanIn or FanOut", op, mode))
	}
	if f == 0 {
		return 1 // t has no elements: nothing to fill
	}
	return float64(f)
}

// Gain returns the recommended gain for a nonlinearity, as PyTorch's
// torch.nn.init.calculate_gain: 1 for "linear", "conv2d", "sigmoid" and
// "identity"; 5/3 for "tanh"; √2 for "relu"; √(2/(1+a²)) for "leaky_relu"
// with negative slope a = param; 3/4 for "selu". It panics for other
// names.
func Gain(nonlinearity string, param float64) float64 {
	switch nonlinearity {
	case "linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity":
		return 1
	case "tanh":
		return 5.0 / 3
	case "relu":
		return math.Sqrt2
	case "leaky_relu":
		return math.Sqrt(2 / (1 + param*param))
	case "selu":
		return 0.75
	}
	panic(fmt.Sprintf("nn: Gain: unsupported nonlinearity %q", nonlinearity))
}

// FillKaimingNormal fills t with samples of N(0, std²), std = gain/√fan, where
// fan is t's fan in or fan out (FanInOut), as PyTorch's kaiming_normal_
// with gain = calculate_gain(nonlinearity, a).
func FillKaimingNormal(rng *rand.Rand, t *tensor.Tensor, mode FanMode, gain float64) {
	FillNormal(rng, t, 0, gain/math.Sqrt(fan("KaimingNormal", t, mode)))
}

// FillKaimingUniform fills t with samples of U(−b, b), b = gain·√(3/fan), where
// fan is t's fan in or fan out (FanInOut), as PyTorch's kaiming_uniform_.
// PyTorch's default initialization of Conv2d and Linear weights is
// FillKaimingUniform(rng, w, FanIn, Gain("leaky_relu", √5)), that is
// b = 1/√fanIn.
func FillKaimingUniform(rng *rand.Rand, t *tensor.Tensor, mode FanMode, gain float64) {
	b := gain * math.Sqrt(3/fan("KaimingUniform", t, mode))
	FillUniform(rng, t, -b, b)
}

// FillNormal fills t with samples of N(mean, std²).
func FillNormal(rng *rand.Rand, t *tensor.Tensor, mean, std float64) {
	if !(std >= 0) {
		panic(fmt.Sprintf("nn: Normal: standard deviation %v is not ≥ 0", std))
	}
	d := t.Data()
	for i := range d {
		d[i] = float32(mean + std*rng.NormFloat64())
	}
}

// FillUniform fills t with samples of U(lo, hi).
func FillUniform(rng *rand.Rand, t *tensor.Tensor, lo, hi float64) {
	if !(lo <= hi) {
		panic(fmt.Sprintf("nn: Uniform: empty range [%v, %v)", lo, hi))
	}
	d := t.Data()
	for i := range d {
		d[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// FillZeros fills t with 0.
func FillZeros(t *tensor.Tensor) { t.Fill(0) }

// FillOnes fills t with 1.
func FillOnes(t *tensor.Tensor) { t.Fill(1) }

// MnasNetConvInit initializes c as the MnasNet and AutoNL TensorFlow code
// does (conv_kernel_initializer): the weight from N(0, 2/fanOut) with
//
//	fanOut = kh·kw·Out/Groups,
//
// TensorFlow's count for its kernel layout kh×kw×in×out: Out·kh·kw for an
// ordinary convolution and kh·kw·multiplier for a depthwise one (a
// multiplier of 1 in mobile nets). The bias, if any, is set to 0, Keras's
// default. torchvision's MnasNet instead calls kaiming_normal_ with
// mode="fan_out", which counts Out·kh·kw for depthwise convolutions too;
// use KaimingNormal(rng, c.Weight.Value, FanOut, Gain("relu", 0)) for that.
func MnasNetConvInit(rng *rand.Rand, c *Conv2d) {
	groups := max(c.Params.Groups, 1)
	s := c.Weight.Value.Shape()
	fanOut := s[2] * s[3] * c.Out / groups
	FillNormal(rng, c.Weight.Value, 0, math.Sqrt(2/float64(fanOut)))
	if c.Bias != nil {
		FillZeros(c.Bias.Value)
	}
}

// MnasNetDenseInit initializes l as the MnasNet TensorFlow code does
// (dense_kernel_initializer): the weight from U(−b, b), b = 1/√Out, which
// is TensorFlow's variance_scaling(scale=1/3, mode="fan_out",
// distribution="uniform"); the bias, if any, is set to 0.
func MnasNetDenseInit(rng *rand.Rand, l *Linear) {
	b := 1 / math.Sqrt(float64(l.Out))
	FillUniform(rng, l.Weight.Value, -b, b)
	if l.Bias != nil {
		FillZeros(l.Bias.Value)
	}
}

// defaultInit initializes a Conv2d or Linear weight and bias as PyTorch's
// reset_parameters does: weight and bias from U(−1/√fanIn, 1/√fanIn).
func defaultInit(rng *rand.Rand, w, b *tensor.Tensor) {
	FillKaimingUniform(rng, w, FanIn, Gain("leaky_relu", math.Sqrt(5)))
	if b != nil {
		in, _ := FanInOut(w.Shape())
		bound := 0.0
		if in > 0 {
			bound = 1 / math.Sqrt(float64(in))
		}
		FillUniform(rng, b, -bound, bound)
	}
}
