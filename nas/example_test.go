package nas_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/nas"
	"github.com/autonl-go/autonl/tensor"
)

// A supernet of the small preset starts with every gate open: the largest
// network of the space. Its cost is that network's MACs, and fixing the
// gates to other configurations derives other networks.
func Example() {
	p, err := nas.LookupPreset("small")
	if err != nil {
		log.Fatal(err)
	}
	net, err := nas.NewSupernet(p.Space, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		log.Fatal(err)
	}
	largest := net.Choices()
	fmt.Println("largest:", net.MACs(largest), "MACs")

	// Kernel 3, the smallest expansion, no LightNL, and the third layer
	// of the stages that have three dropped.
	small := make([]nas.Choice, len(largest))
	for i, l := range net.Layers {
		small[i] = nas.Choice{Kernel: 3, Expansion: l.Spec.Expansions[0], Keep: l.Spec.InStage < 2}
	}
	d, err := net.Derive(small)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(d.Arch())

	// The forward pass with the gates fixed computes that network; the
	// cost is its MACs, differentiable in the gates.
	if err := net.SetChoices(small); err != nil {
		log.Fatal(err)
	}
	x := autograd.Const(tensor.Zeros(2, 3, 64, 64))
	fmt.Println("logits:", net.Forward(x).Shape())
	fmt.Println("cost:", net.Cost().Value.Item())
	// Output:
	// largest: 22267648 MACs
	// # 3×64×64 input, stem 16 stride 1, head 128, 2 classes, relu6; 8857344 MACs, 74898 parameters
	// r1_k3_s22_e1_i16_o16
	// r1_k3_s22_e3_i16_o24
	// r1_k3_s11_e3_i24_o24
	// r1_k3_s22_e3_i24_o40
	// r1_k3_s11_e3_i40_o40
	// r1_k3_s11_e3_i40_o64
	// r1_k3_s11_e3_i64_o64
	// logits: [2 2]
	// cost: 8.857344e+06
}
