package optim_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/nn/optim"
	"github.com/autonl-go/autonl/safetensors"
	"github.com/autonl-go/autonl/tensor"
)

// params returns named parameters with random values, standing in for
// nn.NamedParams(model).
func params(rng *rand.Rand, named ...any) []nn.Param {
	var ps []nn.Param
	for i := 0; i < len(named); i += 2 {
		t := tensor.Normal(rng, 0, 0.1, named[i+1].([]int)...)
		ps = append(ps, nn.Param{Name: named[i].(string), Var: autograd.Param(t)})
	}
	return ps
}

// The training recipe of MnasNet and AutoNL: TensorFlow's RMSProp (decay
// 0.9, momentum 0.9, ε 1e-3 inside the square root), learning rate 0.016
// per 256 images with a 5-epoch linear warm-up and ×0.97 every 2.4 epochs,
// weight decay 1e-5 on convolution and dense weights only, and an
// exponential moving average of the weights with decay 0.9999.
func Example_autoNLRecipe() {
	const batch, images = 1024, 1_281_167 // ImageNet
	stepsPerEpoch := images / batch
	ep := optim.PerEpoch(stepsPerEpoch)

	schedule := optim.LinearWarmup(ep(5), 0, optim.ExponentialStaircase(0.016*batch/256, 0.97, ep(2.4), true))

	ps := params(rand.New(rand.NewPCG(1, 2)),
		"features.0.weight", []int{32, 3, 3, 3}, // conv: decayed
		"features.1.weight", []int{32}, // batch norm γ: not decayed
		"features.1.bias", []int{32}, // batch norm β: not decayed
		"classifier.weight", []int{10, 32}, // dense: decayed
		"classifier.bias", []int{10}) // not decayed
	opt := optim.NewRMSPropTF(optim.SplitDecay(ps, nil), optim.RMSPropTFConfig{
		LR: schedule.LR(0), Rho: 0.9, Momentum: 0.9, Eps: 1e-3, WeightDecay: 1e-5,
	})
	ema := optim.NewEMA(ps, nil, optim.EMAConfig{Decay: 0.9999})

	for range 3 { // the training loop
		opt.SetLR(schedule.LR(opt.Steps()))
		opt.ZeroGrad()
		for _, p := range ps { // stands in for loss.Backward()
			p.Var.Grad = tensor.Full(0.01, p.Var.Value.Shape()...)
		}
		opt.Step()
		ema.Update()
	}

	fmt.Println(schedule)
	for _, epoch := range []float64{0, 1, 5, 100, 349.999} {
		fmt.Printf("epoch %7.3f: lr %.6f\n", epoch, schedule.LR(int(ep(epoch))))
	}
	fmt.Println("steps:", opt.Steps(), "EMA updates:", ema.Updates())
	// Output:
	// LinearWarmup(6255, 0, ExponentialStaircase(0.064, 0.97, 3002.4, true))
	// epoch   0.000: lr 0.000000
	// epoch   1.000: lr 0.012800
	// epoch   5.000: lr 0.060218
	// epoch 100.000: lr 0.018358
	// epoch 349.999: lr 0.000773
	// steps: 3 EMA updates: 3
}

// Least squares with SGD and Nesterov momentum: fit w so that x·w ≈ y.
func ExampleNewSGD() {
	rng := rand.New(rand.NewPCG(3, 4))
	x := autograd.Const(tensor.Normal(rng, 0, 1, 64, 3))
	trueW := tensor.FromSlice([]float32{1, -2, 0.5}, 3, 1)
	y := autograd.Const(tensor.MatMul(x.Value, trueW, false, false))

	w := nn.Param{Name: "w", Var: autograd.Param(tensor.New(3, 1))}
	opt := optim.NewSGD(optim.OneGroup([]nn.Param{w}), optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
	loss := func() *autograd.Var {
		d := autograd.Sub(autograd.MatMul(x, w.Var, false, false), y)
		return autograd.Mean(autograd.Mul(d, d), false)
	}
	for range 100 {
		opt.ZeroGrad()
		loss().Backward()
		opt.Step()
	}
	fmt.Printf("w = %.3f, loss < 1e-6: %t\n", w.Var.Value.Data(), loss().Value.Item() < 1e-6)
	// Output:
	// w = [1.000 -2.000 0.500], loss < 1e-6: true
}

// Evaluating with the averaged weights and going back to training.
func ExampleEMA_Apply() {
	w := nn.Param{Name: "w", Var: autograd.Param(tensor.FromSlice([]float32{0}, 1))}
	ema := optim.NewEMA([]nn.Param{w}, nil, optim.EMAConfig{Decay: 0.5})
	for _, v := range []float32{4, 8} { // as if the optimizer moved w
		w.Var.Value.Data()[0] = v
		ema.Update()
	}
	ema.Apply()
	fmt.Println("evaluate with", w.Var.Value.Data()) // 0.5·(0.5·0 + 0.5·4) + 0.5·8
	ema.Restore()
	fmt.Println("train on with", w.Var.Value.Data())
	// Output:
	// evaluate with [5]
	// train on with [8]
}

func ExampleClipGradNorm() {
	a := nn.Param{Name: "a", Var: autograd.Param(tensor.New(2))}
	b := nn.Param{Name: "b", Var: autograd.Param(tensor.New(1))}
	a.Var.Grad = tensor.FromSlice([]float32{3, 0}, 2)
	b.Var.Grad = tensor.FromSlice([]float32{4}, 1)
	norm := optim.ClipGradNorm([]nn.Param{a, b}, 1)
	fmt.Printf("norm %.1f, clipped %.4f %.4f\n", norm, a.Var.Grad.Data(), b.Var.Grad.Data())
	// Output:
	// norm 5.0, clipped [0.6000 0.0000] [0.8000]
}

// Checkpointing the optimizer and the EMA in one file, and resuming.
func ExampleState() {
	rng := rand.New(rand.NewPCG(5, 6))
	ps := params(rng, "w", []int{4, 4}, "b", []int{4})
	opt := optim.NewAdamW(optim.SplitDecay(ps, nil), optim.AdamConfig{LR: 1e-3, WeightDecay: 0.05})
	ema := optim.NewEMA(ps, nil, optim.EMAConfig{Decay: 0.999})
	for range 10 {
		for _, p := range ps {
			p.Var.Grad = tensor.Normal(rng, 0, 1, p.Var.Value.Shape()...)
		}
		opt.Step()
		ema.Update()
	}

	// Save (the model's own weights go to their own file, with nn.Save).
	state, err := optim.Merge(opt.State().Prefix("optimizer."), ema.State().Prefix("ema."))
	if err != nil {
		panic(err)
	}
	path := filepath.Join(os.TempDir(), "autonl-example-train-state.safetensors")
	defer os.Remove(path)
	if err := safetensors.WriteFile(path, state.Tensors, state.Metadata); err != nil {
		panic(err)
	}

	// Resume, in a new process.
	f, err := safetensors.ReadFile(path)
	if err != nil {
		panic(err)
	}
	ts, err := f.Tensors()
	if err != nil {
		panic(err)
	}
	loaded := optim.State{Tensors: ts, Metadata: f.Metadata}
	opt2 := optim.NewAdamW(optim.SplitDecay(ps, nil), optim.AdamConfig{LR: 1e-3, WeightDecay: 0.05})
	ema2 := optim.NewEMA(ps, nil, optim.EMAConfig{Decay: 0.999})
	if err := opt2.LoadState(loaded.Select("optimizer.")); err != nil {
		panic(err)
	}
	if err := ema2.LoadState(loaded.Select("ema.")); err != nil {
		panic(err)
	}
	fmt.Println("resumed at step", opt2.Steps(), "with", len(ts), "tensors")
	// Output:
	// resumed at step 10 with 6 tensors
}
