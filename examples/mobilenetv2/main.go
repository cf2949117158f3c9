// Command mobilenetv2 builds a network of the model zoo (by default
// torchvision's MobileNetV2), prints its module tree as PyTorch would with
// parameter counts, runs a forward pass on random images, saves a
// checkpoint to a temporary directory, reloads it into a freshly built
// network with different initial weights and shows that both compute the
// same logits.
//
// The checkpoint is a .safetensors file whose names are torchvision's, so
// for MobileNetV2 it loads in PyTorch with
//
//	model = torchvision.models.mobilenet_v2(width_mult=W, num_classes=K)
//	model.load_state_dict(safetensors.torch.load_file(path))
//
// Usage:
//
//	go run ./examples/mobilenetv2 [-model mobilenetv2] [-width 1] [-classes 1000] [-size 224] [-batch 2] [-seed 1] [-quiet]
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func main() {
	name := flag.String("model", "mobilenetv2", "zoo model: "+strings.Join(models.Names(), ", "))
	width := flag.Float64("width", 1, "width multiplier")
	classes := flag.Int("classes", 1000, "number of classes")
	size := flag.Int("size", 224, "input height and width")
	batch := flag.Int("batch", 2, "images in the forward pass")
	seed := flag.Uint64("seed", 1, "seed of the weights and images")
	quiet := flag.Bool("quiet", false, "do not print the module tree")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("mobilenetv2: ")
	if *size < 1 || *batch < 1 || *classes < 1 || !(*width > 0) {
		log.Fatal("-size, -batch, -classes and -width must be positive")
	}

	rng := rand.New(rand.NewPCG(*seed, 1))
	cfg := models.Config{WidthMultiplier: *width, Classes: *classes}
	net, err := models.New(*name, rng, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if !*quiet {
		fmt.Println(nn.Format(net))
	}
	fmt.Printf("%s: %d parameters, %d buffers\n", net.Config.Name, nn.NumParams(net), len(nn.NamedBuffers(net)))
	if cost, err := net.Cost(*size); err == nil {
		fmt.Printf("%d multiply-adds per %d×%d image\n", cost.Total.MACs, *size, *size)
	}

	// Freshly initialized, BN's running statistics are 0 and 1, and with
	// torchvision's initialization the activations of an evaluation-mode
	// pass shrink to nothing (torchvision's own model gives logits of
	// about 1e-9). Calibrate the statistics with one training-mode pass
	// over a random batch with momentum 1, which sets them to that batch's
	// statistics; this also gives the checkpoint nontrivial buffers.
	x := autograd.Const(tensor.Normal(rng, 0, 1, *batch, 3, *size, *size))
	calibrate(net, autograd.Const(tensor.Normal(rng, 0, 1, max(*batch, 2), 3, *size, *size)))

	// A forward pass in evaluation mode: BN uses its running statistics,
	// dropout is off.
	nn.SetTraining(net, false)
	var y *tensor.Tensor
	start := time.Now()
	autograd.NoGrad(func() { y = net.Forward(x).Value })
	fmt.Printf("forward pass of %v: logits %v in %v\n", x.Shape(), y.Shape(), time.Since(start).Round(time.Millisecond))
	fmt.Printf("max |logits| = %.3g, top classes: %v\n", maxAbsDiff(y, tensor.New(y.Shape()...)), tensor.ArgMax(y, 1))

	// Save, reload into a network built with other weights, compare.
	dir, err := os.MkdirTemp("", "mobilenetv2-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, *name+".safetensors")
	if err := nn.Save(path, net, map[string]string{"model": *name, "width": fmt.Sprint(*width)}); err != nil {
		log.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saved %d tensors to %s (%d bytes)\n", len(nn.StateDict(net)), path, info.Size())

	fresh, err := models.New(*name, rand.New(rand.NewPCG(*seed+1, 2)), cfg)
	if err != nil {
		log.Fatal(err)
	}
	nn.SetTraining(fresh, false)
	var before, after *tensor.Tensor
	autograd.NoGrad(func() { before = fresh.Forward(x).Value })
	res, err := nn.Load(path, fresh, true)
	if err != nil {
		log.Fatal(err)
	}
	autograd.NoGrad(func() { after = fresh.Forward(x).Value })
	fmt.Printf("reloaded (metadata %v)\n", res.Metadata)
	fmt.Printf("fresh network before loading: max |Δlogits| = %.3g\n", maxAbsDiff(before, y))
	fmt.Printf("fresh network after loading:  max |Δlogits| = %.3g\n", maxAbsDiff(after, y))
	if !equal(after, y) {
		log.Fatal("the reloaded network computes different logits")
	}
	fmt.Println("identical outputs")
}

// calibrate sets every BN's running statistics to those of the batch x.
func calibrate(net nn.Module, x *autograd.Var) {
	var bns []*nn.BatchNorm2d
	nn.Walk(net, func(_ string, m nn.Module) {
		if bn, ok := m.(*nn.BatchNorm2d); ok {
			bns = append(bns, bn)
		}
	})
	saved := make([]float64, len(bns))
	for i, bn := range bns {
		saved[i], bn.Momentum = bn.Momentum, 1
	}
	nn.SetTraining(net, true)
	autograd.NoGrad(func() { net.Forward(x) })
	for i, bn := range bns {
		bn.Momentum = saved[i]
	}
}

func maxAbsDiff(a, b *tensor.Tensor) float64 {
	d := 0.0
	for i, v := range a.Data() {
		d = math.Max(d, math.Abs(float64(v)-float64(b.Data()[i])))
	}
	return d
}

func equal(a, b *tensor.Tensor) bool {
	for i, v := range a.Data() {
		if v != b.Data()[i] {
			return false
		}
	}
	return true
}
