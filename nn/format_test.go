package nn_test

import (
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nn"
)

// pytorchRepr is what PyTorch 1.13 prints for
//
//	nn.Sequential(
//	    nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
//	    nn.BatchNorm2d(16, eps=1e-3, momentum=0.01),
//	    nn.ReLU6(),
//	    nn.Sequential(
//	        nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16, bias=False),
//	        SqueezeExcitation(16, 4),   # torchvision.ops
//	        nn.Hardswish(),
//	    ),
//	    nn.AvgPool2d(2),
//	    nn.AdaptiveAvgPool2d(1),
//	    nn.Flatten(),
//	    nn.Dropout(0.2),
//	    nn.Linear(16, 10),
//	    nn.Identity(),
//	)
const pytorchRepr = `Sequential(
  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)
  (1): BatchNorm2d(16, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)
  (2): ReLU6()
  (3): Sequential(
    (0): Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), groups=16, bias=False)
    (1): SqueezeExcitation(
      (avgpool): AdaptiveAvgPool2d(output_size=1)
      (fc1): Conv2d(16, 4, kernel_size=(1, 1), stride=(1, 1))
      (fc2): Conv2d(4, 16, kernel_size=(1, 1), stride=(1, 1))
      (activation): ReLU()
      (scale_activation): Sigmoid()
    )
    (2): Hardswish()
  )
  (4): AvgPool2d(kernel_size=2, stride=2, padding=0)
  (5): AdaptiveAvgPool2d(output_size=1)
  (6): Flatten(start_dim=1, end_dim=-1)
  (7): Dropout(p=0.2, inplace=False)
  (8): Linear(in_features=16, out_features=10, bias=True)
  (9): Identity()
)`

// withCounts is Format's output for the same model.
const withCounts = `Sequential(
  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)  # 432 params
  (1): BatchNorm2d(16, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)  # 32 params
  (2): ReLU6()
  (3): Sequential(
    (0): Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), groups=16, bias=False)  # 144 params
    (1): SqueezeExcitation(
      (avgpool): AdaptiveAvgPool2d(output_size=1)
      (fc1): Conv2d(16, 4, kernel_size=(1, 1), stride=(1, 1))  # 68 params
      (fc2): Conv2d(4, 16, kernel_size=(1, 1), stride=(1, 1))  # 80 params
      (activation): ReLU()
      (scale_activation): Sigmoid()
    )  # 148 params
    (2): Hardswish()
  )  # 292 params
  (4): AvgPool2d(kernel_size=2, stride=2, padding=0)
  (5): AdaptiveAvgPool2d(output_size=1)
  (6): Flatten(start_dim=1, end_dim=-1)
  (7): Dropout(p=0.2, inplace=False)
  (8): Linear(in_features=16, out_features=10, bias=True)  # 170 params
  (9): Identity()
)  # 926 params total`

func formatModel() *nn.Sequential {
	rng := rand.New(rand.NewPCG(1, 1))
	return nn.NewSequential(
		nn.NewConv2d(rng, 3, 16, 3, nn.ConvConfig{Stride: 2, Padding: 1}),
		nn.NewBatchNorm2d(16, nn.BatchNormConfig{Eps: 1e-3, Momentum: 0.01}),
		nn.NewReLU6(),
		nn.NewSequential(
			nn.NewConv2d(rng, 16, 16, 3, nn.ConvConfig{Padding: 2, Dilation: 2, Groups: 16}),
			nn.NewSqueezeExcite(rng, 16, 4, nil, nil),
			nn.NewHardSwish(),
		),
		&nn.AvgPool2d{Kernel: 2},
		&nn.GlobalAvgPool2d{},
		&nn.Flatten{},
		nn.NewDropout(0.2, rng),
		nn.NewLinear(rng, 16, 10, true),
		&nn.Identity{},
	)
}

func TestReprMatchesPyTorch(t *testing.T) {
	m := formatModel()
	assert.Equal(t, pytorchRepr, nn.Repr(m))
	assert.Equal(t, withCounts, nn.Format(m))
	assert.Equal(t, withCounts, m.String())
	// Stripping the counts gives the repr back.
	assert.Equal(t, pytorchRepr, regexp.MustCompile(`  # [0-9,]+ params( total)?`).ReplaceAllString(nn.Format(m), ""))
	assert.Equal(t, 926, nn.NumParams(m))
}

// custom is a user module without Describe.
type custom struct {
	nn.Base
	Conv *nn.Conv2d
}

func (c *custom) Forward(x *autograd.Var) *autograd.Var { return c.Conv.Forward(x) }

// described has a multi-line description and no children.
type described struct{ nn.Base }

func (*described) Forward(x *autograd.Var) *autograd.Var { return x }
func (*described) Describe() (name, extra string)        { return "Two", "a=1\nb=2" }

func TestFormatCustomModules(t *testing.T) {
	c := &custom{Conv: nn.NewConv2d(rand.New(rand.NewPCG(1, 1)), 2, 2, 1, nn.ConvConfig{})}
	c.AddChild("conv", c.Conv)
	// Modules without Describe print under their Go type name.
	assert.Equal(t, "custom(\n  (conv): Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1), bias=False)\n)", nn.Repr(c))
	assert.Equal(t, "custom(\n  (conv): Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1), bias=False)  # 4 params\n)  # 4 params total", nn.Format(c))
	// A multi-line description goes on lines of its own, as in PyTorch.
	d := &described{}
	assert.Equal(t, "Two(\n  a=1\n  b=2\n)", nn.Repr(d))
	// Empty containers and parameterless roots.
	assert.Equal(t, "Sequential()", nn.Repr(nn.NewSequential()))
	assert.Equal(t, "Sequential()  # 0 params total", nn.Format(nn.NewSequential()))
	assert.Equal(t, "ReLU()  # 0 params total", nn.Format(nn.NewReLU()))
}
