package optim

import (
	"fmt"
	"math"
)

// AdamConfig configures Adam and AdamW as torch.optim.Adam and
// torch.optim.AdamW.
type AdamConfig struct {
	// LR is the initial learning rate η.
	LR float64 `json:"lr"`
	// Betas are β₁ and β₂, the decay rates of the moment estimates; the
	// zero value means PyTorch's defaults (0.9, 0.999).
	Betas [2]float64 `json:"betas"`
	// Eps ε is added to the root of the second moment; zero means
	// PyTorch's default 1e-8.
	Eps float64 `json:"eps"`
	// WeightDecay λ: for Adam an L2 penalty added to the gradient, for
	// AdamW a decoupled decay of the weights. Zero means none (PyTorch's
	// AdamW defaults to 1e-2).
	WeightDecay float64 `json:"weight_decay"`
	// AMSGrad uses the running maximum of the second moment.
	AMSGrad bool `json:"amsgrad"`
}

// Adam is Adam or AdamW exactly as torch.optim.Adam and torch.optim.AdamW.
// For each parameter w with gradient g, at its t-th update,
//
//	w ← (1 − η·λ)·w                          (AdamW)
//	g ← g + λ·w                              (Adam)
//	m ← β₁·m + (1 − β₁)·g
//	v ← β₂·v + (1 − β₂)·g²
//	v̂ ← max(v̂, v)                            (AMSGrad; v̂ replaces v below)
//	w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// The step count t is per parameter, as in torch.optim, so that a parameter
// that missed some steps (no gradient) is bias-corrected for the updates it
// had. The state buffers are "exp_avg" (m), "exp_avg_sq" (v) and
// "max_exp_avg_sq" (v̂, AMSGrad only).
type Adam struct {
	core
	cfg       AdamConfig
	decoupled bool
}

// NewAdam returns an Adam optimizer (L2 weight decay) over groups. It
// panics if the configuration is invalid, if a parameter has no name or
// appears twice. A group's Momentum overrides β₁.
func NewAdam(groups []Group, cfg AdamConfig) *Adam { return newAdam("adam", groups, cfg) }

// NewAdamW returns an AdamW optimizer (decoupled weight decay, Loshchilov
// and Hutter) over groups. It panics if the configuration is invalid, if a
// parameter has no name or appears twice. A group's Momentum overrides β₁.
func NewAdamW(groups []Group, cfg AdamConfig) *Adam { return newAdam("adamw", groups, cfg) }

func newAdam(kind string, groups []Group, cfg AdamConfig) *Adam {
	if cfg.Betas == [2]float64{} {
		cfg.Betas = [2]float64{0.9, 0.999}
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	if !(cfg.Betas[0] >= 0 && cfg.Betas[0] < 1) || !(cfg.Betas[1] >= 0 && cfg.Betas[1] < 1) || !(cfg.Eps >= 0) || !(cfg.WeightDecay >= 0) {
		panic(fmt.Sprintf("optim: %s: invalid configuration %+v", kind, cfg))
	}
	o := &Adam{cfg: cfg, decoupled: kind == "adamw"}
	o.core = newCore(kind, cfg.LR, groups,
		hyper{LRScale: 1, WeightDecay: cfg.WeightDecay, Momentum: cfg.Betas[0]},
		[maxSlots]slot{{name: "exp_avg"}, {name: "exp_avg_sq"}, {name: "max_exp_avg_sq"}},
		func(h hyper) [maxSlots]bool {
			if h.Momentum >= 1 {
				panic(fmt.Sprintf("optim: %s: invalid β₁ %v", kind, h.Momentum))
			}
			return [maxSlots]bool{true, true, cfg.AMSGrad}
		}, cfg)
	return o
}

// Step updates every parameter that has a gradient.
func (o *Adam) Step() {
	b2, eps, ams, decoupled := o.cfg.Betas[1], o.cfg.Eps, o.cfg.AMSGrad, o.decoupled
	o.eachWithGrad(0, len(o.params), func(p *param, g, w []float32, lr float64) {
		wd, b1 := p.h.WeightDecay, p.h.Momentum
		t := float64(p.steps + 1)
		stepSize := lr / (1 - math.Pow(b1, t))
		bc2 := math.Sqrt(1 - math.Pow(b2, t))
		decay := 1 - lr*wd // AdamW
		ea, eas, mx := p.buf[0], p.buf[1], p.buf[2]
		for j := range w {
			wj, gj := float64(w[j]), float64(g[j])
			if decoupled {
				wj *= decay
			} else if wd != 0 {
				gj += wd * wj
			}
			m := b1*float64(ea[j]) + (1-b1)*gj
			v := b2*float64(eas[j]) + (1-b2)*gj*gj
			ea[j], eas[j] = float32(m), float32(v)
			if ams {
				mx[j] = max(mx[j], eas[j])
				v = float64(mx[j])
			}
			w[j] = float32(wj - stepSize*m/(math.Sqrt(v)/bc2+eps))
		}
	})
	o.steps++
}
