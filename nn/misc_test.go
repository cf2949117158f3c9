package nn_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func TestDropout(t *testing.T) {
	x := tensor.Normal(newRNG(5), 0, 1, 50, 40)
	for _, p := range []float64{0.1, 0.5, 0.8} {
		d := nn.NewDropout(p, newRNG(6))
		xv := autograd.Param(x.Clone())
		y := d.Forward(xv)
		zeros := 0
		for i, v := range y.Value.Data() {
			if v == 0 {
				zeros++
				continue
			}
			// Kept elements are scaled by 1/(1−p).
			require.InDelta(t, float64(x.Data()[i])/(1-p), v, 1e-5)
		}
		frac := float64(zeros) / float64(x.Len())
		sd := math.Sqrt(p * (1 - p) / float64(x.Len()))
		assert.InDelta(t, p, frac, 5*sd, "p=%v: dropped fraction", p)

		// ∂x is the mask: zero where dropped, 1/(1−p) where kept.
		y.BackwardWith(tensor.Ones(y.Shape()...))
		for i, g := range xv.Grad.Data() {
			if y.Value.Data()[i] == 0 && x.Data()[i] != 0 {
				require.Zero(t, g)
			} else {
				require.InDelta(t, 1/(1-p), g, 1e-6)
			}
		}

		// Same seed, same mask.
		y2 := nn.NewDropout(p, newRNG(6)).Forward(autograd.Const(x))
		assert.Equal(t, y.Value.Data(), y2.Value.Data())
		// Evaluation mode is the identity.
		nn.SetTraining(d, false)
		c := autograd.Const(x)
		assert.Same(t, c, d.Forward(c))
	}
	// p = 0 draws nothing; p = 1 drops everything.
	c := autograd.Const(x)
	assert.Same(t, c, nn.NewDropout(0, nil).Forward(c))
	for _, v := range nn.NewDropout(1, newRNG(7)).Forward(c).Value.Data() {
		require.Zero(t, v)
	}
	assert.Equal(t, "Dropout(p=0.2, inplace=False)", nn.NewDropout(0.2, newRNG(1)).String())
	assert.Equal(t, "Dropout(p=0.0, inplace=False)", nn.NewDropout(0, nil).String())

	assert.PanicsWithValue(t, "nn: NewDropout: probability 1.5 out of range [0, 1]", func() { nn.NewDropout(1.5, newRNG(1)) })
	assert.PanicsWithValue(t, "nn: NewDropout: nil random source for probability 0.5", func() { nn.NewDropout(0.5, nil) })
	d := nn.NewDropout(0, nil)
	d.P = 0.3
	assert.PanicsWithValue(t, "nn: Dropout: no random source (Rand is nil) to draw a mask in training mode", func() { d.Forward(c) })
	d.P = -0.1
	assert.PanicsWithValue(t, "nn: Dropout: probability -0.1 out of range [0, 1]", func() { d.Forward(c) })
}

func TestActivations(t *testing.T) {
	x := autograd.Const(tensor.Normal(newRNG(8), 0, 4, 3, 7))
	tests := []struct {
		m    nn.Module
		f    func(*autograd.Var) *autograd.Var
		repr string
	}{
		{nn.NewReLU(), autograd.ReLU, "ReLU()"},
		{nn.NewReLU6(), autograd.ReLU6, "ReLU6()"},
		{nn.NewSwish(), autograd.Swish, "SiLU()"},
		{nn.NewHardSwish(), autograd.HardSwish, "Hardswish()"},
		{nn.NewSigmoid(), autograd.Sigmoid, "Sigmoid()"},
		{nn.NewHardSigmoid(), autograd.HardSigmoid, "Hardsigmoid()"},
		{&nn.Identity{}, func(x *autograd.Var) *autograd.Var { return x }, "Identity()"},
	}
	for _, tc := range tests {
		t.Run(tc.repr, func(t *testing.T) {
			assert.Equal(t, tc.f(x).Value.Data(), tc.m.Forward(x).Value.Data())
			assert.Equal(t, tc.repr, nn.Repr(tc.m))
			assert.Equal(t, tc.repr, tc.m.(interface{ String() string }).String())
			assert.Zero(t, nn.NumParams(tc.m))
		})
	}
}

func TestPoolingAndFlatten(t *testing.T) {
	x := autograd.Const(tensor.Normal(newRNG(9), 0, 1, 2, 3, 6, 5))
	tests := []struct {
		m     nn.Module
		shape []int
		repr  string
	}{
		{&nn.AvgPool2d{Kernel: 2}, []int{2, 3, 3, 2}, "AvgPool2d(kernel_size=2, stride=2, padding=0)"},
		{&nn.AvgPool2d{Kernel: 3, Stride: 1, Padding: 1}, []int{2, 3, 6, 5}, "AvgPool2d(kernel_size=3, stride=1, padding=1)"},
		{&nn.GlobalAvgPool2d{}, []int{2, 3, 1, 1}, "AdaptiveAvgPool2d(output_size=1)"},
		{&nn.Flatten{}, []int{2, 90}, "Flatten(start_dim=1, end_dim=-1)"},
	}
	for _, tc := range tests {
		t.Run(tc.repr, func(t *testing.T) {
			assert.Equal(t, tc.shape, tc.m.Forward(x).Shape())
			assert.Equal(t, tc.repr, nn.Repr(tc.m))
		})
	}
	// Padded windows count the padding, as count_include_pad=True.
	ones := autograd.Const(tensor.Ones(1, 1, 2, 2))
	assert.Equal(t, []float32{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}, (&nn.AvgPool2d{Kernel: 2, Stride: 1, Padding: 1}).Forward(ones).Value.Data())
	assert.Equal(t, x.Value.Data(), (&nn.Flatten{}).Forward(x).Value.Data())

	assert.PanicsWithValue(t, "nn: AvgPool2d: input [2 3] is not 4-D N×C×H×W", func() { (&nn.AvgPool2d{Kernel: 2}).Forward(autograd.Const(tensor.New(2, 3))) })
	assert.PanicsWithValue(t, "nn: AvgPool2d: kernel 0 must be positive, stride 0 and padding 0 not negative", func() { (&nn.AvgPool2d{}).Forward(x) })
	assert.PanicsWithValue(t, "nn: GlobalAvgPool2d: input [2 3] is not 4-D N×C×H×W", func() { (&nn.GlobalAvgPool2d{}).Forward(autograd.Const(tensor.New(2, 3))) })
	assert.PanicsWithValue(t, "nn: Flatten: input [5] has fewer than 2 dimensions", func() { (&nn.Flatten{}).Forward(autograd.Const(tensor.New(5))) })
}

func TestSequential(t *testing.T) {
	rng := newRNG(10)
	s := nn.NewSequential(nn.NewLinear(rng, 3, 4, true), nn.NewReLU())
	s.Append(nn.NewLinear(rng, 4, 2, false))
	require.Equal(t, 3, s.Len())
	assert.IsType(t, &nn.ReLU{}, s.At(1))
	var got []string
	for _, p := range nn.NamedParams(s) {
		got = append(got, p.Name)
	}
	assert.Equal(t, []string{"0.weight", "0.bias", "2.weight"}, got)

	x := autograd.Const(tensor.Normal(rng, 0, 1, 5, 3))
	want := s.At(2).Forward(s.At(1).Forward(s.At(0).Forward(x)))
	assert.Equal(t, want.Value.Data(), s.Forward(x).Value.Data())
	assert.Same(t, x, nn.NewSequential().Forward(x))

	assert.PanicsWithValue(t, "nn: Sequential: index 3 out of range [0, 3)", func() { s.At(3) })
	assert.PanicsWithValue(t, "nn: Sequential: module 3 is nil", func() { s.Append(nil) })
}

func TestSqueezeExcite(t *testing.T) {
	rng := newRNG(11)
	se := nn.NewSqueezeExcite(rng, 6, 2, nil, nil)
	params, buffers := names(se)
	assert.Equal(t, map[string][]int{"fc1.weight": {2, 6, 1, 1}, "fc1.bias": {2}, "fc2.weight": {6, 2, 1, 1}, "fc2.bias": {6}}, params)
	assert.Empty(t, buffers)
	var children []string
	for _, c := range se.Registry().Children() {
		children = append(children, c.Name)
	}
	assert.Equal(t, []string{"avgpool", "fc1", "fc2", "activation", "scale_activation"}, children)
	assert.IsType(t, &nn.ReLU{}, se.Act)
	assert.IsType(t, &nn.Sigmoid{}, se.Gate)

	// y[n,c,h,w] = x[n,c,h,w]·σ(b2 + W2·relu(b1 + W1·mean(x[n]))).
	x := tensor.Normal(rng, 0, 1, 2, 6, 3, 4)
	y := se.Forward(autograd.Const(x))
	require.Equal(t, x.Shape(), y.Shape())
	w1, b1, w2, b2 := se.FC1.Weight.Value, se.FC1.Bias.Value, se.FC2.Weight.Value, se.FC2.Bias.Value
	for n := range 2 {
		mean := make([]float64, 6)
		for c := range 6 {
			for i := range 12 {
				mean[c] += float64(x.Data()[(n*6+c)*12+i]) / 12
			}
		}
		hidden := make([]float64, 2)
		for r := range 2 {
			h := float64(b1.At(r))
			for c := range 6 {
				h += float64(w1.At(r, c, 0, 0)) * mean[c]
			}
			hidden[r] = math.Max(h, 0)
		}
		for c := range 6 {
			g := float64(b2.At(c))
			for r := range 2 {
				g += float64(w2.At(c, r, 0, 0)) * hidden[r]
			}
			g = 1 / (1 + math.Exp(-g))
			for i := range 12 {
				k := (n*6+c)*12 + i
				require.InDelta(t, float64(x.Data()[k])*g, y.Value.Data()[k], 1e-5)
			}
		}
	}
	assert.PanicsWithValue(t, "nn: SqueezeExcite: input [2 5 3 4] is not N×6×H×W", func() { se.Forward(autograd.Const(tensor.New(2, 5, 3, 4))) })
	assert.PanicsWithValue(t, "nn: NewSqueezeExcite: channels 6 and reduced 0 must be positive", func() { nn.NewSqueezeExcite(rng, 6, 0, nil, nil) })

	// ForwardMeansInto: inference's values of ForwardMeans bit for bit, in
	// x's storage; with gradients, a new result and x untouched.
	means := autograd.GlobalAvgPool2D(autograd.Const(x))
	var want, got *autograd.Var
	xc := autograd.Const(x.Clone())
	autograd.NoGrad(func() {
		want = se.ForwardMeans(autograd.Const(x), means)
		got = se.ForwardMeansInto(xc, means)
	})
	assert.Same(t, xc, got)
	require.Equal(t, want.Value.Data(), got.Value.Data())
	xg := autograd.Const(x.Clone())
	yg := se.ForwardMeansInto(xg, means)
	assert.NotSame(t, xg, yg)
	require.Equal(t, x.Data(), xg.Value.Data())
	assert.PanicsWithValue(t, "nn: SqueezeExcite: means [2 6] for input [2 6 3 4], want N×C×1×1", func() {
		se.ForwardMeansInto(autograd.Const(x), autograd.Const(tensor.New(2, 6)))
	})

	// Other activations, as MobileNetV3 uses.
	se3 := nn.NewSqueezeExcite(rng, 6, 2, nn.NewReLU(), nn.NewHardSigmoid())
	assert.Contains(t, nn.Repr(se3), "(scale_activation): Hardsigmoid()")
}

func TestCrossEntropyLoss(t *testing.T) {
	logits := autograd.Const(tensor.Normal(newRNG(12), 0, 2, 4, 5))
	labels := []int{0, 4, 2, 2}
	for _, s := range []float32{0, 0.1} {
		got := nn.CrossEntropyLoss{LabelSmoothing: s}.Forward(logits, labels)
		assert.Equal(t, autograd.CrossEntropy(logits, labels, s).Value.Item(), got.Value.Item())
	}
	assert.Equal(t, "CrossEntropyLoss()", nn.CrossEntropyLoss{}.String())
	assert.Equal(t, "CrossEntropyLoss(label_smoothing=0.1)", nn.CrossEntropyLoss{LabelSmoothing: 0.1}.String())
}

func TestTrainingSwitch(t *testing.T) {
	m := formatModel()
	nn.SetTraining(m, false)
	nn.Walk(m, func(path string, m nn.Module) { assert.False(t, m.Registry().Training(), path) })
	nn.SetTraining(m, true)
	nn.Walk(m, func(path string, m nn.Module) { assert.True(t, m.Registry().Training(), path) })
}

func TestRegistryNames(t *testing.T) {
	var b nn.Base
	b.RegisterParam("weight", autograd.Param(tensor.New(1)))
	assert.PanicsWithValue(t, `nn: RegisterBuffer: name "weight" is already a parameter`, func() { b.RegisterBuffer("weight", tensor.New(1)) })
	assert.PanicsWithValue(t, `nn: AddChild: invalid name "a.b": names must be non-empty and contain no dots`, func() { b.AddChild("a.b", nn.NewReLU()) })
	assert.Same(t, &b, b.Registry())
}
