package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// BenchmarkAutoNLS measures inference (evaluation mode, NoGrad) of the
// zoo's AutoNL-S at 224×224 with 1000 classes, batch 1 and 8, LightNL
// blocks included. Its LightNL blocks' last batch norm has γ = 1 instead
// of the initial 0 (which makes a block the identity in value only; the
// block computes its branch either way), as in a trained network. The
// network is frozen (nn.Freeze) as an inference engine prepares a
// network it loads, so that no inference packs the weights again. It
// reports images/s and the CPU time of all threads per operation, as
// BenchmarkMobileNetV2 does; benchmarks/ort.js runs the same network,
// exported by autonl export, in ONNX Runtime.
func BenchmarkAutoNLS(b *testing.B) {
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("224x224_n%d/inference", batch), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := models.New("autonl-s", rng, models.Config{})
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range nn.NamedParams(net) {
				if strings.HasSuffix(p.Name, ".bn.weight") { // a LightNL block's last BN
					p.Var.Value.Fill(1)
				}
			}
			nn.SetTraining(net, false)
			nn.Freeze(net)
			x := autograd.Const(tensor.Normal(rng, 0, 1, batch, 3, 224, 224))
			infer := func() { autograd.NoGrad(func() { tensor.Release(net.Forward(x).Value) }) }
			infer()
			b.ResetTimer()
			cpu0 := cpuTime()
			for b.Loop() {
				infer()
			}
			reportImages(b, batch, cpu0)
		})
	}
}
