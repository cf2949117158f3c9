package optim

import "fmt"

// SGDConfig configures stochastic gradient descent as torch.optim.SGD.
type SGDConfig struct {
	// LR is the initial learning rate η.
	LR float64 `json:"lr"`
	// Momentum μ; zero means plain SGD.
	Momentum float64 `json:"momentum"`
	// Dampening τ of the momentum.
	Dampening float64 `json:"dampening"`
	// Nesterov selects Nesterov momentum; it needs Momentum > 0 and
	// Dampening = 0.
	Nesterov bool `json:"nesterov"`
	// WeightDecay λ is an L2 penalty: λ·w is added to the gradient.
	WeightDecay float64 `json:"weight_decay"`
}

// SGD is stochastic gradient descent with momentum, exactly as
// torch.optim.SGD. For each parameter w with gradient g, one step is
//
//	d ← g + λ·w
//	b ← d                        at the parameter's first update
//	b ← μ·b + (1 − τ)·d          afterwards
//	d ← d + μ·b  (Nesterov)  or  d ← b
//	w ← w − η·d
//
// where the lines with b apply only if μ > 0. The state buffer is
// "momentum_buffer".
type SGD struct {
	core
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer over groups. It panics if the
// configuration is invalid, if a parameter has no name or appears twice.
func NewSGD(groups []Group, cfg SGDConfig) *SGD {
	if !(cfg.Momentum >= 0) || !(cfg.Dampening >= 0) || !(cfg.WeightDecay >= 0) {
		panic(fmt.Sprintf("optim: sgd: invalid configuration %+v", cfg))
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		panic("optim: sgd: Nesterov momentum requires a momentum and zero dampening")
	}
	o := &SGD{cfg: cfg}
	o.core = newCore("sgd", cfg.LR, groups,
		hyper{LRScale: 1, WeightDecay: cfg.WeightDecay, Momentum: cfg.Momentum},
		[maxSlots]slot{{name: "momentum_buffer"}},
		func(h hyper) [maxSlots]bool { return [maxSlots]bool{h.Momentum != 0} }, cfg)
	return o
}

// Step updates every parameter that has a gradient.
func (o *SGD) Step() {
	damp := 1 - o.cfg.Dampening
	nesterov := o.cfg.Nesterov
	for i := range o.params {
		p := &o.params[i]
		g, w := p.data()
		if g == nil {
			continue
		}
		lr, wd, mu := o.lr*p.h.LRScale, p.h.WeightDecay, p.h.Momentum
		buf, first := p.buf[0], p.steps == 0
		for j := range w {
			wj := float64(w[j])
			d := float64(g[j])
			if wd != 0 {
				d += wd * wj
			}
			if mu != 0 {
				b := d
				if !first {
					b = mu*float64(buf[j]) + damp*d
				}
				buf[j] = float32(b)
				if nesterov {
					d += mu * b
				} else {
					d = b
				}
			}
			w[j] = float32(wj - lr*d)
		}
		p.steps++
	}
	o.steps++
}
