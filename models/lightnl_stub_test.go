package models_test

import (
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
)

// stubLightNL is a LightNL block written out from DESIGN.md section 5 for
// these tests, while package lightnl holds only the cost formulas: 3×3
// depthwise conv "conv" (no bias) and BN "bn" with γ = 0, so 9C + 2C
// parameters, and
//
//	z = x + BN(DW3×3((1/HW)·V·(Kᵀ·Q)))
//
// computed in order B. The tests use it to build the AutoNL networks.
type stubLightNL struct {
	nn.Base
	Conv          *nn.Conv2d
	BN            *nn.BatchNorm2d
	Ratio         float64
	Stride, Query int
}

func newStubLightNL(rng *rand.Rand, c int, ratio float64, stride int, bn nn.BatchNormOptions) *stubLightNL {
	b := &stubLightNL{
		Conv:   nn.NewConv2d(rng, c, c, 3, nn.ConvOptions{Padding: 1, Groups: c}),
		BN:     nn.NewBatchNorm2d(c, bn),
		Ratio:  ratio,
		Stride: stride,
		Query:  lightnl.ReducedChannels(c, ratio),
	}
	b.BN.Weight.Value.Fill(0)
	b.AddChild("conv", b.Conv)
	b.AddChild("bn", b.BN)
	return b
}

// stubFactory returns a models.LightNLFactory of stub blocks.
func stubFactory(rng *rand.Rand, bn nn.BatchNormOptions) models.LightNLFactory {
	return func(c int, ratio float64, stride int) nn.Module { return newStubLightNL(rng, c, ratio, stride, bn) }
}

func (b *stubLightNL) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	n, c, h, w := s[0], s[1], s[2], s[3]
	xs := x
	if b.Stride > 1 {
		xs = autograd.Slice(autograd.Slice(x, 2, 0, h, b.Stride), 3, 0, w, b.Stride)
	}
	m := xs.Shape()[2] * xs.Shape()[3]
	q := autograd.Reshape(autograd.Slice(x, 1, 0, b.Query, 1), n, b.Query, h*w)
	k := autograd.Reshape(autograd.Slice(xs, 1, 0, b.Query, 1), n, b.Query, m)
	v := autograd.Reshape(xs, n, c, m)
	ctx := autograd.MatMul(v, k, false, true)                                      // N×C×rC
	y := autograd.MulScalar(autograd.MatMul(ctx, q, false, false), 1/float32(h*w)) // N×C×HW
	y = autograd.Reshape(y, n, c, h, w)
	return nn.Traced(b, x, autograd.Add(x, b.BN.Forward(b.Conv.Forward(y))))
}

func (b *stubLightNL) Describe() (name, extra string) { return "LightNL", "" }
