// Command shapes trains a small convolutional network with package autograd
// on images it generates itself, printing the loss as it falls and the final
// test accuracy.
//
// Each 16×16 grayscale image holds a striped patch, placed at random on a
// noisy background; the class is the orientation of the stripes
// (horizontal, vertical, diagonal or anti-diagonal). The network is a
// miniature mobile net: a 3×3 stem, a strided 3×3 convolution, a depthwise
// 3×3 and a 1×1 convolution, each followed by batch normalization and ReLU,
// then global average pooling and a linear classifier. It trains with SGD
// and momentum written out over the autograd Vars, since layers and
// optimizers are the job of packages that build on autograd.
//
// Usage:
//
//	go run ./examples/shapes [-steps 600] [-batch 32] [-lr 0.1] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/tensor"
)

const (
	imageSize = 16
	classes   = 4
	bnEps     = 1e-5
)

func main() {
	steps := flag.Int("steps", 600, "training steps")
	batch := flag.Int("batch", 32, "images per step")
	lr := flag.Float64("lr", 0.1, "learning rate (cosine-decayed to 0)")
	seed := flag.Uint64("seed", 1, "seed for data, initialization and order")
	testSize := flag.Int("test", 1000, "test images")
	flag.Parse()
	if *steps < 1 || *batch < 1 || *testSize < 1 || !(*lr > 0) {
		fmt.Fprintln(os.Stderr, "shapes: -steps, -batch and -test must be positive and -lr greater than 0")
		os.Exit(2)
	}
	log.SetFlags(0)

	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	net := newNetwork(rng)
	fmt.Printf("network: %d parameters\n", net.numParams())

	start := time.Now()
	var smoothed float64
	for step := 1; step <= *steps; step++ {
		x, labels := makeBatch(rng, *batch)
		// Cosine learning-rate schedule.
		rate := float32(*lr * 0.5 * (1 + math.Cos(math.Pi*float64(step-1)/float64(*steps))))
		loss := autograd.CrossEntropy(net.forward(autograd.Const(x), true), labels, 0)
		loss.Backward()
		net.sgdStep(rate, 0.9, 1e-4)
		loss.ReleaseGraph()

		l := float64(loss.Value.Item())
		if step == 1 {
			smoothed = l
		}
		smoothed = 0.9*smoothed + 0.1*l
		if step == 1 || step%25 == 0 || step == *steps {
			fmt.Printf("step %4d  loss %.4f  (smoothed %.4f)  lr %.4f\n", step, l, smoothed, rate)
		}
	}
	fmt.Printf("trained %d steps in %v\n", *steps, time.Since(start).Round(time.Millisecond))

	testRng := rand.New(rand.NewPCG(*seed+1, 0x7e57))
	correct := 0
	for done := 0; done < *testSize; done += *batch {
		n := min(*batch, *testSize-done)
		x, labels := makeBatch(testRng, n)
		var logits *autograd.Var
		autograd.NoGrad(func() { logits = net.forward(autograd.Const(x), false) })
		for i, p := range tensor.ArgMax(logits.Value, 1) {
			if p == labels[i] {
				correct++
			}
		}
	}
	fmt.Printf("test accuracy: %.2f%% (%d of %d; chance is %.0f%%)\n",
		100*float64(correct)/float64(*testSize), correct, *testSize, 100.0/classes)
}

// makeBatch returns n images of shape n×1×16×16 and their labels.
func makeBatch(rng *rand.Rand, n int) (*tensor.Tensor, []int) {
	x := tensor.New(n, 1, imageSize, imageSize)
	labels := make([]int, n)
	data := x.Data()
	for i := range n {
		label := rng.IntN(classes)
		labels[i] = label
		img := data[i*imageSize*imageSize : (i+1)*imageSize*imageSize]
		for p := range img {
			img[p] = float32(0.5 * rng.NormFloat64())
		}
		// A striped patch of random size, period, phase and position.
		size := 5 + rng.IntN(6)
		r0, c0 := rng.IntN(imageSize-size+1), rng.IntN(imageSize-size+1)
		period := 3 + rng.IntN(2)
		phase := rng.IntN(period)
		for r := range size {
			for c := range size {
				var u int
				switch label {
				case 0:
					u = r
				case 1:
					u = c
				case 2:
					u = r + c
				case 3:
					u = r - c + size
				}
				if (u+phase)%period == 0 {
					img[(r0+r)*imageSize+c0+c] += 1
				}
			}
		}
	}
	return x, labels
}

// convBN is a convolution without bias followed by batch normalization.
type convBN struct {
	w, gamma, beta  *autograd.Var
	runMean, runVar *tensor.Tensor
	params          tensor.Conv2DConfig
}

func newConvBN(rng *rand.Rand, in, out, k, stride, groups int) *convBN {
	fanIn := in / groups * k * k
	std := float32(math.Sqrt(2 / float64(fanIn))) // Kaiming normal for ReLU
	return &convBN{
		w:       autograd.Param(tensor.Normal(rng, 0, std, out, in/groups, k, k)),
		gamma:   autograd.Param(tensor.Ones(out)),
		beta:    autograd.Param(tensor.Zeros(out)),
		runMean: tensor.Zeros(out),
		runVar:  tensor.Ones(out),
		params: tensor.Conv2DConfig{
			Stride:  [2]int{stride, stride},
			Padding: [2]int{k / 2, k / 2},
			Groups:  groups,
		},
	}
}

// forward computes relu(BN(conv(x))), updating the running statistics with
// momentum 0.1 in training mode.
func (l *convBN) forward(x *autograd.Var, training bool) *autograd.Var {
	y := autograd.Conv2D(x, l.w, nil, l.params)
	if !training {
		return autograd.ReLU(autograd.BatchNormEval(y, l.gamma, l.beta, l.runMean, l.runVar, bnEps))
	}
	y, stats := autograd.BatchNormTrain(y, l.gamma, l.beta, bnEps)
	n := float32(y.Value.Len() / y.Value.Dim(1))
	const momentum = 0.1
	for c, m := range stats.Mean.Data() {
		unbiased := stats.Var.Data()[c] * n / (n - 1)
		l.runMean.Data()[c] += momentum * (m - l.runMean.Data()[c])
		l.runVar.Data()[c] += momentum * (unbiased - l.runVar.Data()[c])
	}
	return autograd.ReLU(y)
}

type network struct {
	layers   []*convBN
	fcW, fcB *autograd.Var
	velocity map[*autograd.Var]*tensor.Tensor
}

func newNetwork(rng *rand.Rand) *network {
	const width = 32
	bound := float32(1 / math.Sqrt(width))
	return &network{
		layers: []*convBN{
			newConvBN(rng, 1, 16, 3, 1, 1),            // stem, 16×16
			newConvBN(rng, 16, width, 3, 2, 1),        // 8×8
			newConvBN(rng, width, width, 3, 1, width), // depthwise
			newConvBN(rng, width, width, 1, 1, 1),     // pointwise
		},
		fcW:      autograd.Param(tensor.Uniform(rng, -bound, bound, classes, width)),
		fcB:      autograd.Param(tensor.Uniform(rng, -bound, bound, classes)),
		velocity: map[*autograd.Var]*tensor.Tensor{},
	}
}

func (n *network) forward(x *autograd.Var, training bool) *autograd.Var {
	for _, l := range n.layers {
		x = l.forward(x, training)
	}
	features := autograd.Reshape(autograd.GlobalAvgPool2D(x), x.Value.Dim(0), -1)
	return autograd.Add(autograd.MatMul(features, n.fcW, false, true), n.fcB)
}

func (n *network) params() []*autograd.Var {
	ps := []*autograd.Var{n.fcW, n.fcB}
	for _, l := range n.layers {
		ps = append(ps, l.w, l.gamma, l.beta)
	}
	return ps
}

func (n *network) numParams() int {
	total := 0
	for _, p := range n.params() {
		total += p.Value.Len()
	}
	return total
}

// sgdStep applies SGD with momentum and weight decay, as torch.optim.SGD:
// v ← μ·v + (g + λ·w), w ← w − lr·v; then clears the gradients.
func (n *network) sgdStep(lr, momentum, decay float32) {
	for _, p := range n.params() {
		if p.Grad == nil {
			continue
		}
		v, ok := n.velocity[p]
		if !ok {
			v = tensor.New(p.Value.Shape()...)
			n.velocity[p] = v
		}
		w, g, vd := p.Value.Data(), p.Grad.Data(), v.Data()
		for i := range w {
			vd[i] = momentum*vd[i] + g[i] + decay*w[i]
			w[i] -= lr * vd[i]
		}
		p.ZeroGrad()
	}
}
