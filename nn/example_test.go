package nn_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// A small mobile-style network: a strided stem, a depthwise block with
// squeeze-and-excite, and a classifier. Format prints it as PyTorch would,
// with parameter counts.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.NewSequential(
		nn.NewConv2d(rng, 3, 16, 3, nn.ConvConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(16, nn.BatchNormConfig{}),
		nn.NewReLU6(),
		nn.NewConv2d(rng, 16, 16, 3, nn.ConvConfig{Padding: 1, Groups: 16}),
		nn.NewBatchNorm2d(16, nn.BatchNormConfig{}),
		nn.NewReLU6(),
		nn.NewSqueezeExcite(rng, 16, 4, nil, nil),
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewDropout(0.2, rng),
		nn.NewLinear(rng, 16, 10, true),
	)
	fmt.Println(nn.Format(net))

	// One training step's forward and backward pass on random images.
	x := autograd.Const(tensor.Normal(rng, 0, 1, 8, 3, 32, 32))
	logits := net.Forward(x)
	loss := nn.CrossEntropyLoss{LabelSmoothing: 0.1}.Forward(logits, []int{0, 1, 2, 3, 4, 5, 6, 7})
	loss.Backward()
	fmt.Println("logits", logits.Shape())
	fmt.Println("grad of", nn.NamedParams(net)[0].Name, nn.NamedParams(net)[0].Var.Grad.Shape())
	// Output:
	// Sequential(
	//   (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)  # 432 params
	//   (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 32 params
	//   (2): ReLU6()
	//   (3): Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=16, bias=False)  # 144 params
	//   (4): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 32 params
	//   (5): ReLU6()
	//   (6): SqueezeExcitation(
	//     (avgpool): AdaptiveAvgPool2d(output_size=1)
	//     (fc1): Conv2d(16, 4, kernel_size=(1, 1), stride=(1, 1))  # 68 params
	//     (fc2): Conv2d(4, 16, kernel_size=(1, 1), stride=(1, 1))  # 80 params
	//     (activation): ReLU()
	//     (scale_activation): Sigmoid()
	//   )  # 148 params
	//   (7): AdaptiveAvgPool2d(output_size=1)
	//   (8): Flatten(start_dim=1, end_dim=-1)
	//   (9): Dropout(p=0.2, inplace=False)
	//   (10): Linear(in_features=16, out_features=10, bias=True)  # 170 params
	// )  # 958 params total
	// logits [8 10]
	// grad of 0.weight [16 3 3 3]
}

// Save writes a checkpoint that PyTorch's load_state_dict accepts; Load
// reads it back into a model of the same structure. A non-strict load into
// a different head reports what did not match.
func ExampleSave() {
	dir, err := os.MkdirTemp("", "nn-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	build := func(seed uint64, classes int) *nn.Sequential {
		rng := rand.New(rand.NewPCG(seed, 0))
		return nn.NewSequential(
			nn.NewConv2d(rng, 3, 8, 3, nn.ConvConfig{Padding: 1}),
			nn.NewBatchNorm2d(8, nn.BatchNormConfig{}),
			nn.NewReLU(),
			&nn.GlobalAvgPool2d{},
			&nn.Flatten{},
			nn.NewLinear(rng, 8, classes, true),
		)
	}
	src := build(1, 10)
	if err := nn.Save(path, src, map[string]string{"epoch": "12"}); err != nil {
		log.Fatal(err)
	}
	for _, t := range nn.StateDict(src) {
		fmt.Println(t.Name, t.Shape)
	}

	dst := build(2, 10)
	res, err := nn.Load(path, dst, true)
	fmt.Println("strict load:", err, "epoch", res.Metadata["epoch"])

	// The trunk of a model with another head: load what matches.
	trunk := nn.NewSequential(build(3, 10).At(0), build(3, 10).At(1))
	res, err = nn.Load(path, trunk, false)
	fmt.Println("non-strict load:", err, "unexpected", res.Unexpected)
	_, err = nn.Load(path, trunk, true)
	fmt.Println(err != nil)
	// Output:
	// 0.weight [8 3 3 3]
	// 1.weight [8]
	// 1.bias [8]
	// 1.running_mean [8]
	// 1.running_var [8]
	// 1.num_batches_tracked []
	// 5.weight [10 8]
	// 5.bias [10]
	// strict load: <nil> epoch 12
	// non-strict load: <nil> unexpected [5.bias 5.weight]
	// true
}

// Inference with a frozen network: Freeze packs the convolutions' weights
// once, as an inference engine does when it loads a network; the logits
// are those of the network unfrozen, bit for bit. Training mode unfreezes
// it.
func ExampleFreeze() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.NewSequential(
		nn.NewConv2d(rng, 3, 16, 3, nn.ConvConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(16, nn.BatchNormConfig{}),
		nn.NewReLU6(),
		nn.NewConv2d(rng, 16, 32, 1, nn.ConvConfig{}),
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewLinear(rng, 32, 10, true),
	)
	nn.SetTraining(net, false)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 32, 32))
	var before, after *tensor.Tensor
	autograd.NoGrad(func() { before = net.Forward(x).Value })
	nn.Freeze(net)
	autograd.NoGrad(func() { after = net.Forward(x).Value })
	same := true
	for i, v := range before.Data() {
		same = same && v == after.Data()[i]
	}
	fmt.Println("logits", after.Shape(), "identical:", same)
	nn.SetTraining(net, true) // training: the convolutions compute from their weights again
	// Output:
	// logits [2 10] identical: true
}
