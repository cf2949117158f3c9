package models

import (
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// RandomizeBN is randomizeBN for the external tests.
var RandomizeBN = randomizeBN

// randomizeBN gives every batch norm of m random affine parameters, so
// that none is the identity (LightNL's γ starts at 0), and running
// statistics from a forward pass in training mode over x (momentum 1 for
// that pass), so that activations keep their scale through the network.
func randomizeBN(rng *rand.Rand, m nn.Module, x *autograd.Var) {
	var bns []*nn.BatchNorm2d
	nn.Walk(m, func(_ string, m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm2d); ok {
			bns = append(bns, bn)
		}
	})
	for _, bn := range bns {
		c := bn.Channels
		lo, hi := float32(0.5), float32(1.5)
		if bn.Weight.Value.Data()[0] == 0 { // LightNL's last BN
			lo, hi = 0.1, 0.5
		}
		copy(bn.Weight.Value.Data(), tensor.Uniform(rng, lo, hi, c).Data())
		copy(bn.Bias.Value.Data(), tensor.Normal(rng, 0, 0.2, c).Data())
		bn.Momentum = 1
	}
	nn.SetTraining(m, true)
	autograd.NoGrad(func() { m.Forward(x) })
	for _, bn := range bns {
		bn.Momentum = 0.1
	}
}
