package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// lnlStages are the feature maps (H, W, C) of the model zoo's stages at a
// 224×224 input, where AutoNL places its LightNL blocks.
var lnlStages = []struct{ h, w, c int }{
	{112, 112, 16}, {56, 56, 24}, {28, 28, 40}, {14, 14, 80}, {14, 14, 96}, {7, 7, 192}, {7, 7, 320},
}

// costBlock is a block with the cost methods of package lightnl.
type costBlock interface {
	nn.Module
	MACs(h, w int) int64
}

// BenchmarkLightNLBlock runs the LightNL block (r = 0.25, s = 1, the
// cheaper association order) on one image of each stage map: "forward" is
// inference (evaluation mode, no tape), "train" a training step's forward
// and backward pass (training-mode batch norm, gradients of the input and
// the parameters). It reports the block's forward MACs from
// lightnl.BlockMACs and the milliseconds per operation. The table in
// benchmarks/lightnl.md gives the command.
func BenchmarkLightNLBlock(b *testing.B) {
	benchBlocks(b, func(rng *rand.Rand, c int) costBlock {
		return lightnl.New(rng, c, lightnl.Config{Ratio: 0.25, Stride: 1})
	})
}

// BenchmarkNonLocalBlock runs the conventional non-local block of Wang et
// al. (inner width C/2, key stride 1) as BenchmarkLightNLBlock runs
// LightNL; its MACs are lightnl.NonLocalMACs. At 112×112 its affinity
// matrix alone holds 12544² floats (630 MB).
func BenchmarkNonLocalBlock(b *testing.B) {
	benchBlocks(b, func(rng *rand.Rand, c int) costBlock {
		return lightnl.NewNonLocal(rng, c, lightnl.NonLocalConfig{Stride: 1})
	})
}

func benchBlocks(b *testing.B, build func(rng *rand.Rand, c int) costBlock) {
	for _, s := range lnlStages {
		name := fmt.Sprintf("%dx%dx%d", s.h, s.w, s.c)
		rng := rand.New(rand.NewPCG(1, 2))
		blk := build(rng, s.c)
		// Non-zero γ, so that the branch is computed as in a trained net.
		for _, p := range nn.NamedParams(blk) {
			if p.Name == "bn.weight" {
				p.Var.Value.Fill(1)
			}
		}
		x := tensor.Normal(rng, 0, 1, 1, s.c, s.h, s.w)
		dy := tensor.Normal(rng, 0, 1, 1, s.c, s.h, s.w)
		macs := float64(blk.MACs(s.h, s.w))

		b.Run("forward/"+name, func(b *testing.B) {
			nn.SetTraining(blk, false)
			prev := autograd.SetGradEnabled(false)
			defer autograd.SetGradEnabled(prev)
			for b.Loop() {
				blk.Forward(autograd.Const(x))
			}
			lnlReport(b, macs)
		})
		b.Run("train/"+name, func(b *testing.B) {
			nn.SetTraining(blk, true)
			params := nn.NamedParams(blk)
			for b.Loop() {
				xv := autograd.Param(x)
				z := blk.Forward(xv)
				z.BackwardWith(dy)
				z.ReleaseGraph()
				for _, p := range params {
					p.Var.ZeroGrad()
				}
			}
			lnlReport(b, macs)
		})
	}
}

// lnlReport reports the forward MACs of one operation and its time in
// milliseconds.
func lnlReport(b *testing.B, macs float64) {
	b.ReportMetric(macs, "MACs")
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/op")
}
