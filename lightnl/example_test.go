package lightnl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// A LightNL block for a 56×56×24 feature map, as AutoNL-S places after its
// second block: fresh, it is the identity; its cost is a fraction of a
// conventional non-local block's.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	block := lightnl.New(rng, 24, lightnl.Config{Ratio: 0.25, Stride: 1})
	fmt.Println(nn.Format(block))

	x := autograd.Const(tensor.Normal(rng, 0, 1, 2, 24, 56, 56))
	z := block.Forward(x)
	fmt.Println("fresh block is the identity:", tensor.AllClose(z.Value, x.Value, 0, 0))

	fmt.Println("association order at 56×56:", block.OrderFor(56, 56))
	fmt.Println("LightNL MACs:", block.MACs(56, 56), "params:", block.ParamCount())
	nl := lightnl.NewNonLocal(rng, 24, lightnl.NonLocalConfig{})
	fmt.Println("non-local MACs:", nl.MACs(56, 56), "params:", nl.ParamCount())
	fmt.Printf("ratio: %.0f×\n", float64(nl.MACs(56, 56))/float64(block.MACs(56, 56)))
	// Output:
	// LightNL(
	//   24, ratio=0.25, stride=1
	//   (conv): Conv2d(24, 24, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=24, bias=False)  # 216 params
	//   (bn): BatchNorm2d(24, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 48 params
	// )  # 264 params total
	// fresh block is the identity: true
	// association order at 56×56: B
	// LightNL MACs: 1580544 params: 264
	// non-local MACs: 239640576 params: 1260
	// ratio: 152×
}
