package models_test

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// TestMobileNetV2TrainStepAllocations checks that a training step in
// steady state allocates next to nothing: activations, gradients and
// kernel temporaries come from the tensor buffer pool and go back to it
// through ReleaseGraph and the optimizer's ZeroGrad, so after a warm-up
// step the bytes allocated per step must stay under 5% of the first
// step's. The garbage collector is off during the measurement because it
// empties the pool (a sync.Pool) at every cycle; that is rare when steps
// allocate little, but would make the measurement depend on timing.
func TestMobileNetV2TrainStepAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small network for a few steps")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	net, err := models.MobileNetV2(rng, models.MobileNetV2Config{WidthMult: 0.35, Classes: 10, SmallInput: true})
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewSGD(optim.OneGroup(nn.NamedParams(net)), optim.SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 4e-5})
	x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 3, 32, 32))
	labels := []int{1, 5, 9, 3}
	step := func() {
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss{}.Forward(net.Forward(x), labels)
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph()
	}
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}

	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	first := allocated(step)
	step() // warm-up: the first ZeroGrad returns the first step's gradients
	const steps = 5
	steady := allocated(func() {
		for range steps {
			step()
		}
	}) / steps
	t.Logf("bytes allocated: first step %d, steady state %d per step (%.2f%%)", first, steady, 100*float64(steady)/float64(first))
	if steady*20 >= first {
		t.Errorf("steady-state step allocates %d bytes, not under 5%% of the first step's %d", steady, first)
	}
}
