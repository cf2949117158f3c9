package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/tensor"
)

// searchCase is a search space at its input size with a batch size.
type searchCase struct {
	preset string
	batch  int
}

var searchCases = []searchCase{{"small", 32}, {"imagenet", 4}}

// trainStep is one training step of a network: forward, cross-entropy
// (plus, for the supernet, the cost term the search adds), backward and
// the optimizers' steps.
type trainStep struct {
	forward func(x *autograd.Var) *autograd.Var
	extra   func() *autograd.Var // nil: no extra term
	opts    []optim.Optimizer
	x       *autograd.Var
	labels  []int
}

func (s *trainStep) step() {
	for _, o := range s.opts {
		o.ZeroGrad()
	}
	loss := nn.CrossEntropyLoss{LabelSmoothing: 0.1}.Forward(s.forward(s.x), s.labels)
	if s.extra != nil {
		loss = autograd.Add(loss, autograd.Reshape(s.extra(), 1))
	}
	loss.Backward()
	for _, o := range s.opts {
		o.Step()
	}
	loss.ReleaseGraph()
}

// BenchmarkSearchStep measures a supernet's training step, as the search
// takes it (gates, cost term nas.CostTerm, AdamW on the weights and SGD on
// the thresholds), against the training step of the largest network the
// supernet can derive (every gate open), built standalone by models.Build
// and trained with AdamW. The two steps alternate, one of each per
// iteration, so that both see the same machine load; the benchmark
// reports the ratio of their CPU times (x-largest: the supernet's overhead)
// and the images/s of each.
func BenchmarkSearchStep(b *testing.B) {
	for _, c := range searchCases {
		p, err := nas.LookupPreset(c.preset)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s_%dx%d_n%d", c.preset, p.Space.InputSize, p.Space.InputSize, c.batch), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			sn, err := nas.NewSupernet(p.Space, rng)
			if err != nil {
				b.Fatal(err)
			}
			d, err := sn.Derive(sn.Choices())
			if err != nil {
				b.Fatal(err)
			}
			net, err := d.NewModel(rng)
			if err != nil {
				b.Fatal(err)
			}
			x := autograd.Const(tensor.Normal(rng, 0, 1, c.batch, p.Space.InputChannels, p.Space.InputSize, p.Space.InputSize))
			labels := make([]int, c.batch)
			for i := range labels {
				labels[i] = i * 7 % p.Space.Classes
			}
			super := &trainStep{
				forward: sn.Forward, x: x, labels: labels,
				extra: func() *autograd.Var { return nas.CostTerm(sn.Cost(), p.Target, 1, nas.DefaultTolerance) },
				opts: []optim.Optimizer{
					optim.NewAdamW(optim.SplitDecay(sn.Weights(), nil), optim.AdamConfig{LR: 1e-4, WeightDecay: 0.05}),
					optim.NewSGD(optim.OneGroup(sn.Architecture()), optim.SGDConfig{LR: 1e-6}),
				},
			}
			largest := &trainStep{
				forward: net.Forward, x: x, labels: labels,
				opts: []optim.Optimizer{optim.NewAdamW(optim.SplitDecay(nn.NamedParams(net), nil), optim.AdamConfig{LR: 1e-4, WeightDecay: 0.05})},
			}
			for range 2 {
				super.step()
				largest.step()
			}
			var superCPU, largeCPU time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := cpuTime()
				super.step()
				t1 := cpuTime()
				largest.step()
				superCPU += t1 - t0
				largeCPU += cpuTime() - t1
			}
			n := float64(b.N)
			b.ReportMetric(superCPU.Seconds()/largeCPU.Seconds(), "x-largest")
			b.ReportMetric(float64(c.batch)*n/superCPU.Seconds(), "supernet-images/cpu-s")
			b.ReportMetric(float64(c.batch)*n/largeCPU.Seconds(), "largest-images/cpu-s")
		})
	}
}
