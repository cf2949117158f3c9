// Command gateprobe asks whether a search's gates hear the loss: in the
// supernet at the end of a search's warm-up, for every gate it compares
// the loss change that the straight-through gradient predicts for closing
// the gate, −∂L/∂d at d = 1 (the signal the search's thresholds get), with
// the loss change that closing it makes, L(closed) − L(open), each over the
// same training batches with batch norm in training mode, as the search's
// architecture steps see them, and per multiply-add the decision saves.
//
//	go run ./experiments/gateprobe -seed 1
//
// It trains the supernet of `autonl search -data fashion-mnist -target 2M
// -train-size 20000 -val-size 2000 -epochs 5` (its defaults otherwise)
// through the warm-up, stops before the first architecture step, and
// prints one row per gate and a summary per kind of gate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the search")
	batches := flag.Int("batches", 16, "training batches the probe averages over")
	epochs := flag.Int("epochs", 5, "the search's epochs (the schedule of its learning rate)")
	warmup := flag.Int("warmup", 2, "warm-up epochs to train before probing")
	flag.Parse()
	log.SetFlags(0)

	dir, err := data.FashionMNISTDir()
	if err != nil {
		log.Fatal(err)
	}
	all, _, err := data.LoadFashionMNIST(dir)
	if err != nil {
		log.Fatal(err)
	}
	valSet, trainSet := data.Split(all, 2000, *seed)
	trainSet, _ = data.Split(trainSet, 20000, *seed)
	preset, err := nas.LookupPreset("small")
	if err != nil {
		log.Fatal(err)
	}
	space := preset.Space
	c, h, _ := trainSet.Shape()
	space.InputSize, space.InputChannels, space.Classes = h, c, len(trainSet.Classes())
	mean, std := data.ChannelStats(trainSet, 5000)
	trainLoader, err := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 64, Shuffle: true, DropLast: true, Seed: *seed, Mean: mean, Std: std})
	if err != nil {
		log.Fatal(err)
	}
	valLoader, err := data.NewLoader(valSet, data.LoaderConfig{BatchSize: 128, Mean: mean, Std: std})
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.MkdirTemp("", "gateprobe")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	// The search's log says when an epoch ends; the probe stops it there,
	// after the warm-up's last epoch, before any architecture step.
	ctx, cancel := context.WithCancel(context.Background())
	logw := &epochWatch{after: *warmup, cancel: cancel}
	s, err := nas.NewSearch(nas.SearchConfig{
		Space: space, Target: 2_000_000, CostRamp: 0.5, CostDual: 10,
		Train: trainLoader, Val: valLoader, Epochs: *epochs, WarmupEpochs: float64(*warmup), GateKeep: 1,
		LRWarmup: 1, WeightDecay: 0.05, LabelSmoothing: 0.1, NonLocalGamma: 0.25,
		Seed: *seed, OutDir: out, Log: logw, Progress: nil,
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
	if logw.seen < *warmup {
		log.Fatalf("the search ended after %d epochs, before the warm-up's %d", logw.seen, *warmup)
	}
	fmt.Printf("seed %d, after %d warm-up epochs: %s", *seed, *warmup, logw.last)
	probe(s.Supernet(), trainLoader, *batches, *warmup)
}

// epochWatch is the search's log: it cancels the search once the log has
// reported epoch `after`.
type epochWatch struct {
	after  int
	seen   int
	last   string
	cancel func()
}

func (w *epochWatch) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if strings.HasPrefix(line, "epoch ") {
			w.seen++
			w.last = line
			if w.seen >= w.after {
				w.cancel()
			}
		}
	}
	return len(p), nil
}

type gateRow struct {
	layer, gate int
	label       string
	kind        nas.GateKind
	closed      []nas.Choice // every layer's choice, this gate closed
	saves       int64        // MACs that closing the gate saves
	tangent     float64      // −∂L/∂d at the open gate, mean over the batches
	actual      float64      // L(closed) − L(open), mean over the batches
}

func probe(net *nas.Supernet, loader *data.Loader, batches, epoch int) {
	nn.SetTraining(net, true)
	open := net.Choices()
	full := net.MACs(open)
	var rows []*gateRow
	for li, l := range net.Layers {
		for gi, g := range l.Gates {
			cs := append([]nas.Choice(nil), open...)
			c := cs[li]
			switch g.Kind {
			case nas.KernelGate:
				c.Kernel = l.Spec.Kernels[g.Index]
			case nas.ExpandGate:
				c.Expansion = l.Spec.Expansions[g.Index]
			case nas.KeepGate:
				c.Keep = false
			case nas.NonLocalGate:
				c.NonLocal.Ratio, c.NonLocal.Stride = 0, 0
			case nas.RatioGate:
				c.NonLocal.Ratio = l.Spec.NonLocalRatios[g.Index]
			case nas.StrideGate:
				c.NonLocal.Stride = l.Spec.NonLocalStrides[len(l.Spec.NonLocalStrides)-1-g.Index]
			}
			cs[li] = c
			rows = append(rows, &gateRow{layer: li, gate: gi, label: fmt.Sprintf("L%d %s", li, strings.TrimPrefix(g.Name, "t_")),
				kind: g.Kind, closed: cs, saves: full - net.MACs(cs)})
		}
	}
	it := loader.Epoch(context.Background(), epoch)
	defer it.Close()
	loss := nn.CrossEntropyLoss{LabelSmoothing: 0.1}
	for b := 0; b < batches && it.Next(); b++ {
		batch := it.Batch()
		for _, p := range net.Architecture() {
			p.Var.ZeroGrad()
		}
		l := loss.Forward(net.Forward(autograd.Const(batch.Images)), batch.Labels)
		base := float64(l.Value.Data()[0])
		l.Backward()
		margins := make([][]float64, len(net.Layers))
		for li, layer := range net.Layers {
			margins[li] = layer.Margins()
		}
		for _, r := range rows {
			t := net.Layers[r.layer].Thresholds[r.gate]
			m := margins[r.layer][r.gate]
			sig := 1 / (1 + math.Exp(-m))
			// ∂L/∂t = −σ'(s − t)·∂L/∂d, so −∂L/∂d = (∂L/∂t)/σ'.
			r.tangent += float64(t.Grad.Data()[0]) / (sig * (1 - sig)) / float64(batches)
		}
		l.ReleaseGraph()
		autograd.NoGrad(func() {
			for _, r := range rows {
				if err := net.SetChoices(r.closed); err != nil {
					log.Fatal(err)
				}
				lc := loss.Forward(net.Forward(autograd.Const(batch.Images)), batch.Labels)
				r.actual += (float64(lc.Value.Data()[0]) - base) / float64(batches)
				net.ClearChoices()
			}
		})
		tensor.Release(batch.Images)
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}

	fmt.Printf("full network %d MACs; per gate, the loss change of closing it (mean over %d batches of 64) and per million MACs saved:\n\n", full, batches)
	fmt.Println("| gate | MACs saved | predicted ΔL (−∂L/∂d) | actual ΔL | predicted per M | actual per M |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var pred, act []float64
	for _, r := range rows {
		if r.saves <= 0 {
			continue
		}
		mm := float64(r.saves) / 1e6
		fmt.Printf("| %s | %d | %.4f | %.4f | %.4f | %.4f |\n", r.label, r.saves, r.tangent, r.actual, r.tangent/mm, r.actual/mm)
		pred, act = append(pred, r.tangent/mm), append(act, r.actual/mm)
	}
	fmt.Printf("\nSpearman rank correlation of predicted and actual ΔL per MAC over %d gates: %.2f\n\n", len(pred), spearman(pred, act))
	fmt.Println("| kind | gates | predicted ΔL per M, median | actual ΔL per M, median | predicted / actual, median |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for k := nas.KernelGate; k <= nas.StrideGate; k++ {
		var p, a, q []float64
		for _, r := range rows {
			if r.kind != k || r.saves <= 0 {
				continue
			}
			mm := float64(r.saves) / 1e6
			p, a = append(p, r.tangent/mm), append(a, r.actual/mm)
			if r.actual != 0 {
				q = append(q, r.tangent/r.actual)
			}
		}
		if len(p) > 0 {
			fmt.Printf("| %s | %d | %.4f | %.4f | %.2f |\n", k, len(p), median(p), median(a), median(q))
		}
	}
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return stat.Quantile(0.5, stat.Empirical, s, nil)
}

// spearman returns the rank correlation of x and y.
func spearman(x, y []float64) float64 {
	return stat.Correlation(ranks(x), ranks(y), nil)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for k, i := range idx {
		r[i] = float64(k)
	}
	return r
}
