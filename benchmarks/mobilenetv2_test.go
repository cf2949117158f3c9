package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// mnv2Case is a MobileNetV2 1.0 benchmark: batch × 3 × size × size images.
// Inputs of 32×32 use SmallInput and 10 classes (CIFAR), as reference.py
// does with torchvision's model (stem and first strided stage at stride 1);
// 224×224 inputs use the ImageNet model with 1000 classes.
type mnv2Case struct {
	size, batch int
}

func (c mnv2Case) name() string { return fmt.Sprintf("%dx%d_n%d", c.size, c.size, c.batch) }

func (c mnv2Case) small() bool { return c.size < 64 }

var mnv2Cases = []mnv2Case{{224, 1}, {224, 8}, {32, 32}}

// mnv2Step is a MobileNetV2 training setup: the network in training mode,
// SGD with momentum over its parameters, one input batch and its labels.
type mnv2Step struct {
	net    *models.Net
	opt    *optim.SGD
	x      *autograd.Var
	labels []int
}

func newMNV2(tb testing.TB, c mnv2Case) *mnv2Step {
	cfg := models.MobileNetV2Config{Classes: 1000}
	if c.small() {
		cfg = models.MobileNetV2Config{Classes: 10, SmallInput: true}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := models.MobileNetV2(rng, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s := &mnv2Step{net: net}
	s.opt = optim.NewSGD(optim.OneGroup(nn.NamedParams(net)), optim.SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 4e-5})
	s.x = autograd.Const(tensor.Normal(rng, 0, 1, c.batch, 3, c.size, c.size))
	classes := cfg.Classes
	for i := range c.batch {
		s.labels = append(s.labels, i*7%classes)
	}
	return s
}

// step runs one training step: forward, cross-entropy loss, backward, SGD
// step, release of the graph.
func (s *mnv2Step) step() float32 {
	s.opt.ZeroGrad()
	loss := nn.CrossEntropyLoss{}.Forward(s.net.Forward(s.x), s.labels)
	loss.Backward()
	s.opt.Step()
	v := loss.Value.Item()
	loss.ReleaseGraph()
	return v
}

// infer runs one evaluation-mode forward pass without a graph and returns
// the logits' storage to the pool.
func (s *mnv2Step) infer() {
	autograd.NoGrad(func() { tensor.Release(s.net.Forward(s.x).Value) })
}

func reportImages(b *testing.B, batch int, cpu0 time.Duration) {
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}

// cpuTime returns the CPU time the process has used (user and system, all
// threads). On a shared machine it is less sensitive than the elapsed
// time to other processes competing for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMobileNetV2 measures torchvision's MobileNetV2 1.0 (as
// models.MobileNetV2) at 224×224, batch 1 and 8, and at 32×32 with
// SmallInput and 10 classes, batch 32: inference (evaluation mode, NoGrad,
// the network frozen by nn.Freeze as an inference engine prepares a
// network it loads) and a training step (forward, cross-entropy, backward, SGD with momentum
// and weight decay, ReleaseGraph). Besides images/s it reports the CPU
// time per operation of all threads (cpu-ms/op). The train cases also
// report the bytes allocated by the first training step (first-step-B)
// and the mean per step after two warm-up steps (steady-step-B); run
// with -benchmem to see the allocations of the timed steps too.
func BenchmarkMobileNetV2(b *testing.B) {
	for _, c := range mnv2Cases {
		b.Run(c.name()+"/inference", func(b *testing.B) {
			s := newMNV2(b, c)
			nn.SetTraining(s.net, false)
			nn.Freeze(s.net)
			s.infer()
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				s.infer()
			}
			reportImages(b, c.batch, cpu0)
		})
		b.Run(c.name()+"/train", func(b *testing.B) {
			s := newMNV2(b, c)
			first, steady := trainStepAllocs(s, 2)
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				s.step()
			}
			reportImages(b, c.batch, cpu0)
			b.ReportMetric(first, "first-step-B")
			b.ReportMetric(steady, "steady-step-B")
		})
	}
}

// trainStepAllocs returns the bytes the Go allocator hands out during the
// first training step of s and the mean per step over steps steps after
// two warm-up steps, with the garbage collector off (it empties the
// tensor buffer pool, a sync.Pool, at every cycle; models'
// TestMobileNetV2TrainStepAllocations asserts the same bound on a small
// network).
func trainStepAllocs(s *mnv2Step, steps int) (first, steady float64) {
	allocated := func() uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.TotalAlloc
	}
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	a0 := allocated()
	s.step()
	first = float64(allocated() - a0)
	s.step()
	s.step()
	a0 = allocated()
	for range steps {
		s.step()
	}
	return first, float64(allocated()-a0) / float64(steps)
}
