package models_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// TestAutoNLTrainingStepsAt224 runs AutoNL-S and AutoNL-L at their
// published input size, 224×224 with 1000 classes: forward and backward
// passes on a batch of two images, and SGD steps on that batch, which must
// lower the loss.
func TestAutoNLTrainingStepsAt224(t *testing.T) {
	if testing.Short() {
		t.Skip("224×224 training steps of AutoNL-S and AutoNL-L")
	}
	for _, name := range []string{"autonl-s", "autonl-l"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			net := newZoo(t, name, rng, models.Config{Dropout: models.NoDropout})
			x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 224, 224))
			labels := []int{17, 503}
			opt := optim.NewSGD(optim.OneGroup(nn.NamedParams(net)), optim.SGDConfig{LR: 0.05, Momentum: 0.9})
			var losses []float32
			for range 4 {
				loss := nn.CrossEntropyLoss{}.Forward(net.Forward(x), labels)
				opt.ZeroGrad()
				loss.Backward()
				for _, p := range nn.NamedParams(net) {
					require.NotNil(t, p.Var.Grad, "%s: no gradient", p.Name)
				}
				opt.Step()
				losses = append(losses, loss.Value.Item())
				loss.ReleaseGraph()
			}
			t.Logf("%s losses %v", name, losses)
			require.Less(t, losses[len(losses)-1], losses[0], "%s: loss did not fall: %v", name, losses)
		})
	}
}
