// Command custom-lightnl composes a custom mobile network from MBConv
// layers with LightNL blocks where the user puts them, prints its profile
// (per-layer multiply-adds and parameters) and trains it for a few steps on
// a small set of the embedded synthetic images, whose labels depend on two
// shapes far apart, until it fits them. (Learning the relation itself takes
// the full data set and many epochs: see autonl train.)
//
// LightNL goes into the network in two ways here: as part of an MBConv
// layer, after its projection (the "nonlocal0.25" token of an arch string,
// as AutoNL places it), and as a standalone block between two layers.
//
// Usage:
//
//	go run ./examples/custom-lightnl [-steps 40] [-batch 32] [-seed 1]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/data"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
)

func main() {
	steps := flag.Int("steps", 40, "training steps")
	batch := flag.Int("batch", 32, "images per step")
	seed := flag.Uint64("seed", 1, "seed for weights and data")
	flag.Parse()
	log.SetFlags(0)
	if *steps < 1 || *batch < 2 {
		log.Fatal("custom-lightnl: -steps must be at least 1 and -batch at least 2")
	}

	rng := rand.New(rand.NewPCG(*seed, 2))
	net, err := build(rng)
	if err != nil {
		log.Fatal(err)
	}

	cost, err := models.Profile(net, models.Shape{C: 3, H: 32, W: 32})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(cost.Table())
	fmt.Printf("\n%.2fM MACs, %d parameters\n\n", float64(cost.Total.MACs)/1e6, cost.Total.Params)

	if err := train(net, *steps, *batch, *seed); err != nil {
		log.Fatal(err)
	}
}

// build returns the network: a stem, five MBConv layers of which two carry
// a LightNL block, one standalone LightNL block with key stride 2 after the
// 16×16 stage, and a pooled linear classifier for the 4 classes of the
// ShapeAndColour task.
func build(rng *rand.Rand) (nn.Module, error) {
	bn := nn.BatchNormConfig{Momentum: 0.01, Eps: 1e-3}
	opt := models.MBConvConfig{Activation: models.Swish, BN: bn}
	layer := func(arch string) (*models.MBConv, error) {
		b, err := models.ParseBlock(arch)
		if err != nil {
			return nil, err
		}
		return models.NewMBConv(rng, b, opt)
	}
	net := nn.NewSequential(models.NewConvBNAct(rng, 3, 16, 3, [2]int{1, 1}, 1, bn, nn.NewSwish()))
	for i, arch := range []string{
		"r1_k3_s11_e1_i16_o16",
		"r1_k3_s22_e4_i16_o24",              // 16×16
		"r1_k5_s11_e4_i24_o24_nonlocal0.25", // LightNL inside the layer
		"standalone",
		"r1_k3_s22_e4_i24_o40_se0.25",              // 8×8
		"r1_k3_s11_e4_i40_o40_se0.25_nonlocal0.25", // LightNL inside the layer
	} {
		if arch == "standalone" {
			net.Append(lightnl.New(rng, 24, lightnl.Config{Ratio: 0.25, Stride: 2, BN: bn}))
			continue
		}
		l, err := layer(arch)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		net.Append(l)
	}
	net.Append(&nn.GlobalAvgPool2d{})
	net.Append(&nn.Flatten{})
	net.Append(nn.NewLinear(rng, 40, 4, true))
	return net, nil
}

// train runs steps steps of SGD with momentum over a small fixed set of
// four batches of synthetic images, epoch after epoch, and prints the loss
// and the batch accuracy as the network fits them.
func train(net nn.Module, steps, batch int, seed uint64) error {
	cfg := data.DefaultSyntheticConfig()
	cfg.N, cfg.Seed, cfg.Task, cfg.Size = 4*batch, seed, data.ShapeAndColour, 32
	ds, err := data.NewSynthetic(cfg)
	if err != nil {
		return err
	}
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: batch, Shuffle: true, Seed: seed, DropLast: true})
	if err != nil {
		return err
	}
	opt := optim.NewSGD(optim.SplitDecay(nn.NamedParams(net), nil), optim.SGDConfig{LR: 0.05, Momentum: 0.9, WeightDecay: 4e-5})
	loss := nn.CrossEntropyLoss{}

	step := 0
	for epoch := 0; step < steps; epoch++ {
		it := loader.Epoch(context.Background(), epoch)
		for step < steps && it.Next() {
			step++
			b := it.Batch()
			logits := net.Forward(autograd.Const(b.Images))
			l := loss.Forward(logits, b.Labels)
			opt.ZeroGrad()
			l.Backward()
			opt.Step()
			if step == 1 || step%10 == 0 {
				fmt.Printf("step %3d  loss %.4f  batch accuracy %.2f\n", step, l.Value.Item(), accuracy(logits, b.Labels))
			}
			l.ReleaseGraph()
		}
		it.Close()
		if err := it.Err(); err != nil {
			return err
		}
	}
	return nil
}

// accuracy returns the share of rows of logits whose largest entry is at
// the label.
func accuracy(logits *autograd.Var, labels []int) float64 {
	correct := 0
	k := logits.Value.Dim(1)
	d := logits.Value.Data()
	for i, y := range labels {
		best := 0
		for j := 1; j < k; j++ {
			if d[i*k+j] > d[i*k+best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}
