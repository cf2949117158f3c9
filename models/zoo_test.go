package models_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// newZoo builds a zoo model.
func newZoo(t *testing.T, name string, rng *rand.Rand, cfg models.Config) *models.Net {
	t.Helper()
	net, err := models.New(name, rng, cfg)
	require.NoError(t, err)
	return net
}

// TestZooParamsMatchCostModel checks that every zoo network, as built,
// has exactly the parameters the analytic cost model counts for its arch
// string at 224×224 with 1000 classes.
func TestZooParamsMatchCostModel(t *testing.T) {
	want := map[string]int{
		"mobilenetv2":     3_504_872,
		"mnasnet-a1":      3_887_038,
		"single-path-nas": 4_421_616,
		"autonl-s":        4_389_350,
		"autonl-l":        5_580_336,
	}
	require.Equal(t, []string{"mobilenetv2", "mnasnet-a1", "single-path-nas", "autonl-s", "autonl-l"}, models.Names())
	for _, name := range models.Names() {
		t.Run(name, func(t *testing.T) {
			net := newZoo(t, name, rand.New(rand.NewPCG(1, 2)), models.Config{})
			arch, err := models.Arch(name)
			require.NoError(t, err)
			cost, err := models.CountArch(arch, models.ImageNetConfig())
			require.NoError(t, err)
			got := nn.NumParams(net)
			assert.Equal(t, cost.Total.Params, int64(got), "nn.NumParams vs CountArch")
			assert.Equal(t, want[name], got)
			own, err := net.Cost(224)
			require.NoError(t, err)
			assert.Equal(t, cost, own, "Net.Cost vs CountArch of the arch string")
			t.Logf("%-16s %9d params, %11d MACs", name, got, cost.Total.MACs)
		})
	}
}

// TestZooProfileMatchesCostModel runs the profiler, which counts the real
// modules' forward pass, on the zoo networks at 224×224: the built
// networks cost what the analytic model counts for their arch strings.
func TestZooProfileMatchesCostModel(t *testing.T) {
	if testing.Short() {
		t.Skip("224×224 forward passes")
	}
	for _, name := range models.Names() {
		t.Run(name, func(t *testing.T) {
			net := newZoo(t, name, rand.New(rand.NewPCG(1, 2)), models.Config{})
			prof, err := models.Profile(net, models.Shape{C: 3, H: 224, W: 224})
			require.NoError(t, err)
			cost, err := net.Cost(224)
			require.NoError(t, err)
			assert.Equal(t, cost.Total, prof.Total)
		})
	}
}

func TestZooStructure(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net := newZoo(t, "autonl-s", rng, models.Config{Classes: 10})
	assert.Equal(t, "AutoNL-S", net.Config.Name)
	assert.Equal(t, models.Swish, net.Config.Activation)
	assert.Equal(t, nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3}, net.Config.BN)
	assert.Equal(t, models.MnasNetInit, net.Config.Init)
	assert.Equal(t, 0.2, net.Dropout().P)
	assert.Equal(t, 10, net.Linear().Out)
	require.Len(t, net.Blocks(), 18)
	assert.Equal(t, 20, net.Features.Len(), "stem, 18 layers, head")

	nonlocal := 0
	for i, b := range net.Blocks() {
		assert.Equal(t, net.Layers[i], b.Args)
		if b.NonLocal != nil {
			nonlocal++
		}
		// Swish everywhere, also inside squeeze-excite.
		assert.IsType(t, &nn.Swish{}, b.Depthwise.Act)
		if b.SE != nil {
			assert.IsType(t, &nn.Swish{}, b.SE.Act)
			assert.IsType(t, &nn.Sigmoid{}, b.SE.Gate)
			assert.Equal(t, b.Args.SEWidth(), b.SE.FC1.Out)
		}
		assert.Equal(t, 1e-3, b.ProjectBN.Eps)
		assert.Equal(t, 0.01, b.ProjectBN.Momentum)
	}
	assert.Equal(t, 7, nonlocal)
	assert.IsType(t, &nn.Swish{}, net.Stem().Act)
	assert.IsType(t, &nn.Swish{}, net.Head().Act)

	// Layer 6: r1_k5_s22_e6_i40_o80_se0.25_nonlocal0.25: expansion,
	// depthwise, SE (40·0.25 = 10 on 240 channels), projection, BN, LightNL.
	names := map[string][]int{}
	for _, p := range nn.StateDict(net) {
		names[p.Name] = p.Shape
	}
	assert.Equal(t, []int{240, 40, 1, 1}, names["features.7.conv.0.0.weight"])
	assert.Equal(t, []int{240, 1, 5, 5}, names["features.7.conv.1.0.weight"])
	assert.Equal(t, []int{10, 240, 1, 1}, names["features.7.conv.2.fc1.weight"])
	assert.Equal(t, []int{240}, names["features.7.conv.2.fc2.bias"])
	assert.Equal(t, []int{80, 240, 1, 1}, names["features.7.conv.3.weight"])
	assert.Equal(t, []int{80}, names["features.7.conv.4.running_var"])
	assert.Equal(t, []int{80, 1, 3, 3}, names["features.7.conv.5.conv.weight"])
	assert.Equal(t, []int{10, 1280}, names["classifier.1.weight"])

	mnas := newZoo(t, "mnasnet-a1", rng, models.Config{})
	assert.IsType(t, &nn.ReLU{}, mnas.Blocks()[3].SE.Act)
	assert.False(t, mnas.Blocks()[0].Skip, "noskip")
	assert.True(t, mnas.Blocks()[2].Skip)
	spnas := newZoo(t, "single-path-nas", rng, models.Config{})
	assert.IsType(t, &nn.ReLU{}, spnas.Stem().Act)
}

// TestAutoNLSForwardBackward runs a training step's forward and backward
// pass of AutoNL-S at 64×64 and checks that every parameter gets a finite
// gradient; without -short it also runs a 224×224 forward pass.
func TestAutoNLSForwardBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	net := newZoo(t, "autonl-s", rng, models.Config{Classes: 10})
	for _, b := range net.Blocks() {
		if b.NonLocal != nil {
			// Give the LightNL blocks a nonzero γ, so that gradients
			// reach their attention paths.
			b.NonLocal.(*lightnl.Block).BN.Weight.Value.Fill(0.5)
		}
	}
	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 64, 64))
	logits := net.Forward(x)
	require.Equal(t, []int{2, 10}, logits.Shape())
	loss := nn.CrossEntropyLoss{LabelSmoothing: 0.1}.Forward(logits, []int{3, 7})
	loss.Backward()
	require.False(t, math.IsNaN(float64(loss.Value.Item())))
	for _, p := range nn.NamedParams(net) {
		require.NotNil(t, p.Var.Grad, "no gradient for %s", p.Name)
		for _, g := range p.Var.Grad.Data() {
			require.False(t, math.IsNaN(float64(g)) || math.IsInf(float64(g), 0), "non-finite gradient in %s", p.Name)
		}
	}

	if testing.Short() {
		t.Skip("224×224 forward pass of AutoNL-S")
	}
	full := newZoo(t, "autonl-s", rng, models.Config{})
	nn.SetTraining(full, false)
	autograd.NoGrad(func() {
		y := full.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 1, 3, 224, 224)))
		assert.Equal(t, []int{1, 1000}, y.Shape())
	})
}

func TestNewErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	_, err := models.New("resnet50", rng, models.Config{})
	require.EqualError(t, err, `models: unknown model "resnet50" (valid models: mobilenetv2, mnasnet-a1, single-path-nas, autonl-s, autonl-l)`)
	_, err = models.Defaults("x")
	require.ErrorContains(t, err, `unknown model "x"`)
	_, err = models.Arch("x")
	require.ErrorContains(t, err, `unknown model "x"`)

	net, err := models.New(" MobileNetV2 ", rng, models.Config{Classes: 3})
	require.NoError(t, err)
	assert.Equal(t, 3, net.Linear().Out)

	for _, tc := range []struct {
		cfg  models.Config
		want string
	}{
		{models.Config{Dropout: 1}, "models: Config.Dropout is 1, want less than 1"},
		{models.Config{Classes: -1}, "models: Config.Classes is -1, want at least 1 (or 0 for the default)"},
		{models.Config{WidthMultiplier: -0.5}, "models: Config.WidthMultiplier is -0.5, want a positive number of at most 16"},
		{models.Config{StemWidth: 16}, `models: block 1 "r1_k3_s11_e1_i32_o16": token "i32": input width 32 does not match the stem width 16`},
		{models.Config{Activation: 42}, "models: Config.Activation Activation(42) is not an activation"},
		{models.Config{BN: nn.BatchNormConfig{Momentum: 2}}, "models: BN momentum 2 out of range (0, 1] (0 means PyTorch's 0.1)"},
	} {
		_, err := models.New("mobilenetv2", rng, tc.cfg)
		assert.EqualError(t, err, tc.want)
	}

	// A factory must build a module.
	_, err = models.New("autonl-s", rng, models.Config{LightNL: func(int, float64, int) nn.Module { return nil }})
	assert.EqualError(t, err, `models: block "r1_k3_s22_e3_i16_o24_nonlocal0.25": the LightNL factory returned nil`)
}

func TestWidthMultiplierMatchesTorchvision(t *testing.T) {
	// torchvision.models.mobilenet_v2(width_mult=w): parameters, layer
	// output widths and head width.
	for _, tc := range []struct {
		w      float64
		params int
		outs   []int
		head   int
	}{
		{0.35, 1677128, []int{8, 8, 8, 16, 16, 16, 24, 24, 24, 24, 32, 32, 32, 56, 56, 56, 112}, 1280},
		{0.5, 1968680, []int{8, 16, 16, 16, 16, 16, 32, 32, 32, 32, 48, 48, 48, 80, 80, 80, 160}, 1280},
		{0.75, 2636424, []int{16, 24, 24, 24, 24, 24, 48, 48, 48, 48, 72, 72, 72, 120, 120, 120, 240}, 1280},
		{1.3, 5386792, []int{24, 32, 32, 40, 40, 40, 80, 80, 80, 80, 128, 128, 128, 208, 208, 208, 416}, 1664},
		{1.4, 6108776, []int{24, 32, 32, 48, 48, 48, 88, 88, 88, 88, 136, 136, 136, 224, 224, 224, 448}, 1792},
	} {
		net, err := models.MobileNetV2(rand.New(rand.NewPCG(1, 2)), models.MobileNetV2Config{WidthMult: tc.w})
		require.NoError(t, err)
		var outs []int
		for _, l := range net.Layers {
			outs = append(outs, l.Out)
		}
		assert.Equal(t, tc.outs, outs, "width %v", tc.w)
		assert.Equal(t, tc.head, net.Head().Conv.Out, "width %v", tc.w)
		assert.Equal(t, tc.params, nn.NumParams(net), "width %v", tc.w)
		cost, err := net.Cost(224)
		require.NoError(t, err)
		assert.Equal(t, int64(tc.params), cost.Total.Params, "width %v", tc.w)
	}
}

func TestSmallInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := models.MobileNetV2(rng, models.MobileNetV2Config{Classes: 10, SmallInput: true, WidthMult: 0.25})
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 1}, net.Stem().Conv.Params.Stride)
	assert.Equal(t, [2]int{1, 1}, net.Layers[1].Strides, "first strided layer")
	assert.Equal(t, [2]int{2, 2}, net.Layers[3].Strides, "later strided layers keep their strides")
	var feat []int
	nn.SetTraining(net, false)
	autograd.NoGrad(func() {
		feat = net.Features.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 1, 3, 32, 32))).Shape()
	})
	assert.Equal(t, []int{1, 1280, 4, 4}, feat, "32×32 downsampled 8 times")
	cost, err := net.Cost(32)
	require.NoError(t, err)
	assert.Equal(t, int64(nn.NumParams(net)), cost.Total.Params)
	prof, err := models.Profile(net, models.Shape{C: 3, H: 32, W: 32})
	require.NoError(t, err)
	assert.Equal(t, cost.Total, prof.Total)

	// A layer whose widths are equal keeps having no skip when its stride
	// becomes 1.
	blocks := models.MustParseArch("r1_k3_s11_e1_i8_o8\nr1_k3_s22_e2_i8_o8\nr1_k3_s22_e2_i8_o8")
	n2, err := models.Build(blocks, models.Config{SmallInput: true, Classes: 2}, rng)
	require.NoError(t, err)
	assert.True(t, n2.Blocks()[0].Skip)
	assert.False(t, n2.Blocks()[1].Skip)
	assert.Equal(t, [2]int{1, 1}, n2.Layers[1].Strides)
	assert.True(t, n2.Layers[1].NoSkip)
	assert.Equal(t, [2]int{2, 2}, n2.Layers[2].Strides)
}

func TestInitSchemes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	std := func(d []float32) float64 {
		var s float64
		for _, v := range d {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s / float64(len(d)))
	}
	// torchvision: kaiming_normal_(fan_out) also for the depthwise convs
	// (fan out 960·9), N(0, 0.01) for the classifier.
	tv, err := models.MobileNetV2(rng, models.MobileNetV2Config{})
	require.NoError(t, err)
	dw := tv.Blocks()[15].Depthwise.Conv // 960 channels, 3×3
	assert.InDelta(t, math.Sqrt(2.0/(960*9)), std(dw.Weight.Value.Data()), 0.1*math.Sqrt(2.0/(960*9)))
	assert.InDelta(t, 0.01, std(tv.Linear().Weight.Value.Data()), 0.001)
	for _, v := range tv.Linear().Bias.Value.Data() {
		require.Zero(t, v)
	}

	// MnasNet: TensorFlow's fan out for depthwise convs is 9.
	mn := newZoo(t, "mnasnet-a1", rng, models.Config{})
	dw = mn.Blocks()[14].Depthwise.Conv // 960 channels, 5×5
	assert.InDelta(t, math.Sqrt(2.0/25), std(dw.Weight.Value.Data()), 0.1*math.Sqrt(2.0/25))
	largest := 0.0
	for _, v := range mn.Linear().Weight.Value.Data() {
		largest = max(largest, math.Abs(float64(v)))
	}
	assert.LessOrEqual(t, largest, 1/math.Sqrt(1000), "U(±1/√out)")
	for _, b := range mn.Blocks() {
		if b.SE != nil {
			for _, v := range b.SE.FC1.Bias.Value.Data() {
				require.Zero(t, v)
			}
		}
	}
	// LightNL blocks keep their own initialization (γ = 0).
	as := newZoo(t, "autonl-s", rng, models.Config{Classes: 10})
	for _, b := range as.Blocks() {
		if b.NonLocal != nil {
			for _, v := range b.NonLocal.(*lightnl.Block).BN.Weight.Value.Data() {
				require.Zero(t, v)
			}
		}
	}
}
