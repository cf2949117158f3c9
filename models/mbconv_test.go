package models_test

import (
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

func mustBlock(t *testing.T, s string) models.BlockSpec {
	t.Helper()
	b, err := models.ParseBlock(s)
	require.NoError(t, err)
	return b
}

// shapes returns the state dict's names and shapes.
func shapes(m nn.Module) map[string][]int {
	out := map[string][]int{}
	for _, p := range nn.StateDict(m) {
		out[p.Name] = p.Shape
	}
	return out
}

func paramNames(m nn.Module) []string {
	var names []string
	for _, p := range nn.NamedParams(m) {
		names = append(names, p.Name)
	}
	return names
}

func TestMBConvNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))

	// Expansion 1: torchvision's conv.0 is the depthwise ConvBNAct.
	m, err := models.NewMBConv(rng, mustBlock(t, "r1_k3_s11_e1_i32_o16"), models.MBConvConfig{Activation: models.ReLU6})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"conv.0.0.weight", "conv.0.1.weight", "conv.0.1.bias",
		"conv.1.weight", "conv.2.weight", "conv.2.bias",
	}, paramNames(m))
	assert.Nil(t, m.Expand)
	assert.False(t, m.Skip)
	assert.Equal(t, "InvertedResidual(\n"+
		"  (conv): Sequential(\n"+
		"    (0): Conv2dNormActivation(\n"+
		"      (0): Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=32, bias=False)\n"+
		"      (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"+
		"      (2): ReLU6()\n"+
		"    )\n"+
		"    (1): Conv2d(32, 16, kernel_size=(1, 1), stride=(1, 1), bias=False)\n"+
		"    (2): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"+
		"  )\n"+
		")", nn.Repr(m))

	// Expansion, 5×5 stride 2, squeeze-excite reduced from the input width
	// (24·0.25 = 6) on the expanded tensor (72), LightNL after the BN.
	b := mustBlock(t, "r1_k5_s22_e3_i24_o40_se0.25_nonlocal0.25-2")
	m, err = models.NewMBConv(rng, b, models.MBConvConfig{
		Activation: models.Swish,
		BN:         nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3},
	})
	require.NoError(t, err)
	assert.Equal(t, map[string][]int{
		"conv.0.0.weight": {72, 24, 1, 1}, "conv.0.1.weight": {72}, "conv.0.1.bias": {72},
		"conv.0.1.running_mean": {72}, "conv.0.1.running_var": {72}, "conv.0.1.num_batches_tracked": {},
		"conv.1.0.weight": {72, 1, 5, 5}, "conv.1.1.weight": {72}, "conv.1.1.bias": {72},
		"conv.1.1.running_mean": {72}, "conv.1.1.running_var": {72}, "conv.1.1.num_batches_tracked": {},
		"conv.2.fc1.weight": {6, 72, 1, 1}, "conv.2.fc1.bias": {6},
		"conv.2.fc2.weight": {72, 6, 1, 1}, "conv.2.fc2.bias": {72},
		"conv.3.weight": {40, 72, 1, 1},
		"conv.4.weight": {40}, "conv.4.bias": {40},
		"conv.4.running_mean": {40}, "conv.4.running_var": {40}, "conv.4.num_batches_tracked": {},
		"conv.5.conv.weight": {40, 1, 3, 3}, "conv.5.bn.weight": {40}, "conv.5.bn.bias": {40},
		"conv.5.bn.running_mean": {40}, "conv.5.bn.running_var": {40}, "conv.5.bn.num_batches_tracked": {},
	}, shapes(m))
	assert.Equal(t, [2]int{2, 2}, m.Depthwise.Conv.Params.Stride)
	assert.Equal(t, [2]int{2, 2}, m.Depthwise.Conv.Params.Padding)
	assert.IsType(t, &nn.Swish{}, m.SE.Act)
	assert.IsType(t, &nn.Sigmoid{}, m.SE.Gate)
	assert.Equal(t, 1e-3, m.Expand.BN.Eps)
	assert.Equal(t, 2, m.NonLocal.(*lightnl.Block).Stride)
	cost, _ := models.MBConvCost(b, models.Shape{C: 24, H: 16, W: 16})
	assert.Equal(t, cost.Params, int64(nn.NumParams(m)))

	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 24, 15, 15))
	assert.Equal(t, []int{2, 40, 8, 8}, m.Forward(x).Shape(), "padding k/2: ⌈15/2⌉")
}

func TestMBConvSkip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		block string
		skip  bool
	}{
		{"r1_k3_s11_e6_i24_o24", true},
		{"r1_k3_s11_e6_i24_o24_se0.5_noskip", false},
		{"r1_k3_s22_e6_i24_o24", false},
		{"r1_k3_s11_e6_i24_o32", false},
	} {
		m, err := models.NewMBConv(rng, mustBlock(t, tc.block), models.MBConvConfig{})
		require.NoError(t, err)
		assert.Equal(t, tc.skip, m.Skip, tc.block)
		assert.IsType(t, &nn.ReLU{}, m.Depthwise.Act, "ReLU by default")
		if !tc.skip {
			continue
		}
		// With the last BN's γ and β at 0 the branch is 0: the layer is
		// the identity.
		m.ProjectBN.Weight.Value.Fill(0)
		x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 24, 6, 6))
		assert.Equal(t, x.Value.Data(), m.Forward(x).Value.Data())
	}
}

func TestMBConvErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		block string
		opt   models.MBConvConfig
		want  string
	}{
		{"r2_k3_s11_e6_i24_o24", models.MBConvConfig{},
			`models: block "r2_k3_s11_e6_i24_o24": token "r2": an MBConv layer has one repeat; unroll the block with Expand`},
		{"r1_k3_s11_e6_i24_o3_nonlocal0.25", models.MBConvConfig{},
			`models: block "r1_k3_s11_e6_i24_o3_nonlocal0.25": token "nonlocal0.25": LightNL channel ratio 0.25 leaves no query channel at width 3`},
		{"r1_k3_s11_e6_i24_o24", models.MBConvConfig{Activation: 99}, "models: NewMBConv: invalid activation Activation(99)"},
		{"r1_k3_s11_e6_i24_o24", models.MBConvConfig{BN: nn.BatchNormConfig{Eps: -1}}, "models: BN eps -1 is negative (0 means PyTorch's 1e-5)"},
	} {
		_, err := models.NewMBConv(rng, mustBlock(t, tc.block), tc.opt)
		assert.EqualError(t, err, tc.want)
	}
	_, err := models.NewMBConv(rng, models.BlockSpec{Repeats: 1, Kernel: 4, Strides: [2]int{1, 1}, Expand: 1, In: 8, Out: 8}, models.MBConvConfig{})
	assert.ErrorContains(t, err, "kernel size must be odd")

	// Build names the block a layer came from.
	blocks := models.MustParseArch("r1_k3_s11_e1_i16_o16\nr2_k3_s11_e2_i16_o16_nonlocal0.125")
	_, err = models.Build(blocks, models.Config{WidthMultiplier: 0.25, RoundNearest: 1}, rng)
	assert.EqualError(t, err, `models: block 2 "r1_k3_s11_e2_i4_o4_nonlocal0.125": token "nonlocal0.125": LightNL channel ratio 0.125 leaves no query channel at width 4 (layer 1, as built)`)
}

func TestBuildCustomArch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	blocks := models.MustParseArch(`
r1_k3_s11_e1_i16_o8
r2_k5_s22_e4_i8_o16_se0.25
`)
	net, err := models.Build(blocks, models.Config{
		Name: "Tiny", InputChannels: 1, HeadWidth: 64, Classes: 5, Dropout: models.NoDropout,
		Activation: models.HardSwish, SEGate: models.HardSigmoid, Init: models.PyTorchInit,
	}, rng)
	require.NoError(t, err)
	assert.Equal(t, 0.0, net.Dropout().P)
	assert.Equal(t, 16, net.Stem().Conv.Out)
	assert.Equal(t, 1, net.Stem().Conv.In)
	assert.IsType(t, &nn.HardSigmoid{}, net.Blocks()[1].SE.Gate)
	assert.Equal(t, 2, net.Blocks()[1].SE.FC1.Out, "round(8·0.25)")
	assert.Equal(t, 4, net.Blocks()[2].SE.FC1.Out, "round(16·0.25) for the repeat")
	assert.True(t, net.Blocks()[2].Skip)
	cost, err := net.Cost(28)
	require.NoError(t, err)
	assert.Equal(t, int64(nn.NumParams(net)), cost.Total.Params)
	prof, err := models.Profile(net, models.Shape{C: 1, H: 28, W: 28})
	require.NoError(t, err)
	assert.Equal(t, cost.Total, prof.Total)

	x := autograd.Const(tensor.Normal(rng, 0, 1, 3, 1, 28, 28))
	y := net.Forward(x)
	assert.Equal(t, []int{3, 5}, y.Shape())
	assert.Contains(t, net.String(), "Tiny(\n  (features): Sequential(")
	assert.Contains(t, net.String(), "(scale_activation): Hardsigmoid()")

	_, err = models.Build(nil, models.Config{}, rng)
	assert.ErrorIs(t, err, models.ErrNoBlocks)
}

// keeper is a module that breaks the inference contract: it keeps its
// input and reads it at the next call.
type keeper struct {
	nn.Base
	last *autograd.Var
}

func (k *keeper) Forward(x *autograd.Var) *autograd.Var {
	if k.last != nil {
		_ = k.last.Shape()
	}
	k.last = x
	return autograd.ReLU(x)
}

// TestInferenceReleaseIsEnforced checks that a module keeping an
// intermediate that inference has returned to the pool gets a panic that
// says so at its next use, rather than reading another result's numbers;
// with recording on, nothing is released and the module works.
func TestInferenceReleaseIsEnforced(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := models.NewMBConv(rng, mustBlock(t, "r1_k3_s11_e6_i8_o8"), models.MBConvConfig{})
	require.NoError(t, err)
	m.Conv.Append(&keeper{})
	nn.SetTraining(m, false)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 1, 8, 4, 4))
	m.Forward(x)
	m.Forward(x)
	autograd.NoGrad(func() {
		m.Forward(x) // keeps an intermediate that is then released
		assert.PanicsWithValue(t, "tensor: Shape of a released tensor: its storage went back to the buffer pool (tensor.Release), so whoever kept it kept it beyond its owner's use",
			func() { m.Forward(x) })
	})
}
