package models_test

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// smallTrainer is a small MobileNetV2 at 32×32 with SGD, a batch and a
// training step.
type smallTrainer struct {
	net  *models.Net
	step func()
}

// newSmallTrainer returns MobileNetV2(0.35, 10 classes, SmallInput)
// training with SGD (momentum, weight decay) on a batch of four 32×32
// images. Its step is a whole training step: ZeroGrad, forward,
// cross-entropy, Backward, Step, ReleaseGraph.
func newSmallTrainer(t *testing.T) smallTrainer {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	net, err := models.MobileNetV2(rng, models.MobileNetV2Config{WidthMult: 0.35, Classes: 10, SmallInput: true})
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewSGD(optim.OneGroup(nn.NamedParams(net)), optim.SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 4e-5})
	x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 3, 32, 32))
	labels := []int{1, 5, 9, 3}
	return smallTrainer{net: net, step: func() {
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss{}.Forward(net.Forward(x), labels)
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph()
	}}
}

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
	step := newSmallTrainer(t).step
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

// TestMobileNetV2TrainStepBitIdenticalAcrossGOMAXPROCS checks that three
// training steps (forward, backward, SGD) leave bit-for-bit the same
// parameters and running statistics in child processes with GOMAXPROCS=1
// and 2, whose kernels split their work over one and two workers.
func TestMobileNetV2TrainStepBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	if testing.Short() {
		t.Skip("child processes skipped in short mode")
	}
	re := regexp.MustCompile(`train-digest=([0-9a-f]{16})`)
	var digests []string
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMobileNetV2DeterminismChild$", "-test.v")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs, "AUTONL_TRAIN_DETERMINISM_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with GOMAXPROCS=%s: %v: %s", procs, err, out)
		}
		m := re.FindSubmatch(out)
		if m == nil {
			t.Fatalf("child with GOMAXPROCS=%s printed no digest: %s", procs, out)
		}
		digests = append(digests, string(m[1]))
	}
	if digests[0] != digests[1] {
		t.Errorf("state after training differs: %s with GOMAXPROCS=1, %s with 2", digests[0], digests[1])
	}
}

// TestMobileNetV2DeterminismChild is the child process of
// TestMobileNetV2TrainStepBitIdenticalAcrossGOMAXPROCS.
func TestMobileNetV2DeterminismChild(t *testing.T) {
	if os.Getenv("AUTONL_TRAIN_DETERMINISM_CHILD") != "1" {
		t.Skip("run as a child process only")
	}
	tr := newSmallTrainer(t)
	for range 3 {
		tr.step()
	}
	h := fnv.New64a()
	for _, s := range nn.StateDict(tr.net) {
		for _, v := range s.Data {
			u := math.Float32bits(v)
			h.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)})
		}
	}
	fmt.Printf("workers=%d train-digest=%016x\n", runtime.GOMAXPROCS(0), h.Sum64())
}
