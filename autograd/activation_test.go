package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/autonl-go/autonl/tensor"
)

func TestActivationGrads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, op := range []struct {
		name  string
		f     func(v *Var) *Var
		kinks []float32
	}{
		{"Tanh", Tanh, nil},
		{"Sigmoid", Sigmoid, nil},
		{"ReLU", ReLU, []float32{0}},
		{"ReLU6", ReLU6, []float32{0, 6}},
		{"Swish", Swish, nil},
		{"HardSwish", HardSwish, []float32{-3, 3}},
		{"HardSigmoid", HardSigmoid, []float32{-3, 3}},
		{"Clamp", func(v *Var) *Var { return Clamp(v, -1, 2) }, []float32{-1, 2}},
	} {
		for _, s := range unaryShapes {
			// Inputs cover every piece of the functions: (−5, 8) spans the
			// kinks at −3, 0, 3 and 6.
			x := awayFrom(tensor.Uniform(rng, -5, 8, s...), op.kinks...)
			requireGrad(t, op.name, func(in ...*Var) *Var { return op.f(in[0]) }, x)
		}
	}
}
