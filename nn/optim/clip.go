package optim

import (
	"math"

	"github.com/autonl-go/autonl/nn"
)

// ClipGradNorm scales the gradients of params so that their global L2 norm
// is at most maxNorm, as torch.nn.utils.clip_grad_norm_, and returns the
// norm before clipping. The norm is taken over all gradients together, as
// if concatenated, accumulated in float64; parameters without a gradient
// are skipped. If the norm exceeds maxNorm, every gradient is multiplied by
//
//	maxNorm / (norm + 1e-6)
//
// and so is every gradient if the norm is NaN or infinite (which makes
// them NaN or zero, as PyTorch does without error_if_nonfinite); otherwise
// nothing changes.
//
// Gradients are scaled in place. Autograd may hand two parameters the same
// gradient tensor (the output gradient of an addition, say); such shared
// storage is scaled once.
func ClipGradNorm(params []nn.Param, maxNorm float64) (totalNorm float64) {
	var sum float64
	for _, p := range params {
		if p.Var.Grad == nil {
			continue
		}
		for _, x := range p.Var.Grad.Data() {
			sum += float64(x) * float64(x)
		}
	}
	totalNorm = math.Sqrt(sum)
	coef := maxNorm / (totalNorm + 1e-6)
	if coef >= 1 {
		return totalNorm
	}
	for i, p := range params {
		if p.Var.Grad == nil {
			continue
		}
		g := p.Var.Grad.Data()
		if len(g) == 0 || sharedBefore(params[:i], &g[0]) {
			continue
		}
		for j, x := range g {
			g[j] = float32(float64(x) * coef)
		}
	}
	return totalNorm
}

// sharedBefore reports whether a gradient in params starts at first.
func sharedBefore(params []nn.Param, first *float32) bool {
	for _, p := range params {
		if p.Var.Grad != nil {
			if g := p.Var.Grad.Data(); len(g) > 0 && &g[0] == first {
				return true
			}
		}
	}
	return false
}
