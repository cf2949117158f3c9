package models_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// torchvision's MobileNetV2: the same parameter count and state-dict
// names, so torchvision checkpoints load into it and the reverse.
func ExampleMobileNetV2() {
	net, err := models.MobileNetV2(rand.New(rand.NewPCG(1, 2)), models.MobileNetV2Config{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(nn.NumParams(net), "parameters")
	for _, p := range nn.StateDict(net)[:8] {
		fmt.Println(p.Name, p.Shape)
	}
	// Output:
	// 3504872 parameters
	// features.0.0.weight [32 3 3 3]
	// features.0.1.weight [32]
	// features.0.1.bias [32]
	// features.0.1.running_mean [32]
	// features.0.1.running_var [32]
	// features.0.1.num_batches_tracked []
	// features.1.conv.0.0.weight [32 1 3 3]
	// features.1.conv.0.1.weight [32]
}

// A network from arch strings, printed as PyTorch prints modules.
func ExampleBuild() {
	blocks, err := models.ParseArch(`
		r1_k3_s22_e1_i8_o8
		r1_k5_s11_e2_i8_o8_se0.25_nonlocal0.25
	`)
	if err != nil {
		log.Fatal(err)
	}
	net, err := models.Build(blocks, models.Config{
		Name: "Tiny", HeadWidth: 32, Classes: 4, Activation: models.Swish,
	}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(net)
	y := net.Forward(autograd.Const(tensor.New(2, 3, 32, 32)))
	fmt.Println("logits", y.Shape())
	// Output:
	// Tiny(
	//   (features): Sequential(
	//     (0): Conv2dNormActivation(
	//       (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)  # 216 params
	//       (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 params
	//       (2): SiLU()
	//     )  # 232 params
	//     (1): InvertedResidual(
	//       (conv): Sequential(
	//         (0): Conv2dNormActivation(
	//           (0): Conv2d(8, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=8, bias=False)  # 72 params
	//           (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 params
	//           (2): SiLU()
	//         )  # 88 params
	//         (1): Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1), bias=False)  # 64 params
	//         (2): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 params
	//       )  # 168 params
	//     )  # 168 params
	//     (2): InvertedResidual(
	//       (conv): Sequential(
	//         (0): Conv2dNormActivation(
	//           (0): Conv2d(8, 16, kernel_size=(1, 1), stride=(1, 1), bias=False)  # 128 params
	//           (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 32 params
	//           (2): SiLU()
	//         )  # 160 params
	//         (1): Conv2dNormActivation(
	//           (0): Conv2d(16, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), groups=16, bias=False)  # 400 params
	//           (1): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 32 params
	//           (2): SiLU()
	//         )  # 432 params
	//         (2): SqueezeExcitation(
	//           (avgpool): AdaptiveAvgPool2d(output_size=1)
	//           (fc1): Conv2d(16, 2, kernel_size=(1, 1), stride=(1, 1))  # 34 params
	//           (fc2): Conv2d(2, 16, kernel_size=(1, 1), stride=(1, 1))  # 48 params
	//           (activation): SiLU()
	//           (scale_activation): Sigmoid()
	//         )  # 82 params
	//         (3): Conv2d(16, 8, kernel_size=(1, 1), stride=(1, 1), bias=False)  # 128 params
	//         (4): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 params
	//         (5): LightNL(
	//           8, ratio=0.25, stride=1
	//           (conv): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=8, bias=False)  # 72 params
	//           (bn): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 params
	//         )  # 88 params
	//       )  # 906 params
	//     )  # 906 params
	//     (3): Conv2dNormActivation(
	//       (0): Conv2d(8, 32, kernel_size=(1, 1), stride=(1, 1), bias=False)  # 256 params
	//       (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 64 params
	//       (2): SiLU()
	//     )  # 320 params
	//   )  # 1,626 params
	//   (classifier): Sequential(
	//     (0): Dropout(p=0.2, inplace=False)
	//     (1): Linear(in_features=32, out_features=4, bias=True)  # 132 params
	//   )  # 132 params
	// )  # 1,758 params total
	// logits [2 4]
}

// AutoNL-S adapted to CIFAR-10: 10 classes, and strides for 32×32 images.
// The zoo's other settings (swish, BN momentum 0.01 and eps 1e-3, LightNL
// blocks, MnasNet initialization) are the paper's.
func ExampleNew() {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := models.New("autonl-s", rng, models.Config{Classes: 10, SmallInput: true})
	if err != nil {
		log.Fatal(err)
	}
	cost, err := net.Cost(32)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d parameters, %d multiply-adds per 32×32 image\n", net.Config.Name, nn.NumParams(net), cost.Total.MACs)

	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 32, 32))
	loss := nn.CrossEntropyLoss{LabelSmoothing: 0.1}.Forward(net.Forward(x), []int{3, 8})
	loss.Backward()
	fmt.Println("gradient of", nn.NamedParams(net)[0].Name, nn.NamedParams(net)[0].Var.Grad.Shape())
	// Output:
	// AutoNL-S: 3121160 parameters, 79418816 multiply-adds per 32×32 image
	// gradient of features.0.0.weight [32 3 3 3]
}
