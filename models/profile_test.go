package models

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// scaled is a custom module with a parameter of its own that does not
// report itself to tracers.
type scaled struct {
	nn.Base
	Scale *autograd.Var
}

func (s *scaled) Forward(x *autograd.Var) *autograd.Var { return autograd.Mul(x, s.Scale) }

func TestProfileCountsRealModules(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &scaled{}
	s.Scale = s.RegisterParam("scale", autograd.Param(tensor.Ones(1)))
	net := nn.NewSequential(
		nn.NewConv2d(rng, 3, 8, 3, nn.ConvConfig{Stride: 2, Padding: 1}), // 0
		nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),                       // 1
		nn.NewReLU(), // 2
		nn.NewConv2d(rng, 8, 8, 5, nn.ConvConfig{Padding: 2, Groups: 8}), // 3: depthwise
		nn.NewSqueezeExcite(rng, 8, 2, nil, nil),                         // 4
		nn.NewConv2d(rng, 8, 16, 1, nn.ConvConfig{Bias: true}),           // 5
		s,                               // 6
		&nn.GlobalAvgPool2d{},           // 7
		&nn.Flatten{},                   // 8
		nn.NewLinear(rng, 16, 10, true), // 9
	)
	bn := net.At(1).(*nn.BatchNorm2d)
	bn.RunningMean.Fill(0.5)
	nn.SetTraining(net, true)

	cost, err := Profile(net, Shape{3, 17, 15})
	require.NoError(t, err)

	// Independent count with the analytic model's formulas.
	x := Shape{3, 17, 15}
	stem, c0 := ConvCost(x, 8, 3, [2]int{2, 2}, 1, false)
	require.Equal(t, Shape{8, 9, 8}, stem)
	_, dw := ConvCost(stem, 8, 5, [2]int{1, 1}, 8, false)
	se := SqueezeExciteCost(stem, 2)
	_, pw := ConvCost(stem, 16, 1, [2]int{1, 1}, 1, true)
	pool := GlobalPoolCost(Shape{16, 9, 8})
	fc := LinearCost(16, 10, true)
	want := c0.Add(BatchNormCost(8)).Add(dw).Add(se).Add(pw).Add(pool).Add(fc).Add(Cost{Params: 1})
	require.Equal(t, want, cost.Total)
	require.Equal(t, int64(3*3*3*8*9*8), c0.MACs, "hand count of the stem")

	byName := map[string]LayerCost{}
	for _, l := range cost.Layers {
		byName[l.Name] = l
	}
	require.Equal(t, LayerCost{Name: "0", Kind: "Conv2d", Out: Shape{8, 9, 8}, Cost: c0}, byName["0"])
	require.Equal(t, LayerCost{Name: "1", Kind: "BatchNorm2d", Out: Shape{8, 9, 8}, Cost: Cost{Params: 16}}, byName["1"])
	require.Equal(t, int64(8*9*8), byName["4.avgpool"].MACs, "SE pooling over the map")
	require.Equal(t, Shape{10, 1, 1}, byName["9"].Out)
	require.Equal(t, "scaled (untraced)", byName["6"].Kind)
	require.Equal(t, int64(1), byName["6"].Params)

	require.True(t, bn.Training(), "training mode restored")
	require.Equal(t, float32(0.5), bn.RunningMean.Data()[0], "running statistics untouched")
	require.Contains(t, cost.Table(), "4.fc1")
}

func TestProfileReportsForwardFailures(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.NewSequential(nn.NewConv2d(rng, 3, 8, 3, nn.ConvConfig{}))
	_, err := Profile(net, Shape{4, 8, 8})
	require.ErrorContains(t, err, "models: Profile: forward pass of a 1×4×8×8 input failed: nn: Conv2d: input [1 4 8 8] has 4 channels, want 3")
	_, err = Profile(net, Shape{3, 0, 8})
	require.EqualError(t, err, "models: Profile: input shape 3×0×8 is not positive")
}

func TestProfileOfNonLocalBlocksMatchesTheirFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		c, h, w, stride int
		ratio           float64
	}{
		{24, 56, 56, 1, 0.25},
		{40, 28, 28, 2, 0.25},
		{96, 14, 14, 1, 0.125},
		{192, 7, 7, 1, 0.25}, // order A is cheaper here
		{16, 9, 11, 2, 0.25},
	} {
		in := Shape{tc.c, tc.h, tc.w}
		light := lightnl.New(rng, tc.c, lightnl.Config{Ratio: tc.ratio, Stride: tc.stride})
		cost, err := Profile(light, in)
		require.NoError(t, err)
		require.Equal(t, Cost{lightnl.BlockMACs(tc.c, tc.h, tc.w, tc.ratio, tc.stride), int64(lightnl.LightNLParams(tc.c))}, cost.Total, "LightNL %+v", tc)
		require.Equal(t, LightNLCost(in, LightNLSpec{Ratio: tc.ratio, Stride: tc.stride}), cost.Total, "analytic LightNL %+v", tc)

		nl := lightnl.NewNonLocal(rng, tc.c, lightnl.NonLocalConfig{Stride: tc.stride})
		cost, err = Profile(nl, in)
		require.NoError(t, err)
		require.Equal(t, Cost{lightnl.NonLocalMACs(tc.c, tc.h, tc.w, tc.stride), int64(lightnl.NonLocalParams(tc.c))}, cost.Total, "non-local %+v", tc)
	}
}
