package optim

import (
	"fmt"
	"runtime"

	"github.com/autonl-go/autonl/internal/parallel"
)

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

	// Large models are updated in two ranges of parameters, run
	// concurrently by the shared worker pool (see Step): [0, split) and
	// [split, len(params)).
	split  int
	halves func(lo, hi int) // o.updateHalf, bound once
}

// parallelMin is the number of parameter elements from which Step splits
// the update in two.
const parallelMin = 1 << 18

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
	o.halves = o.updateHalf
	o.core = newCore("sgd", cfg.LR, groups,
		hyper{LRScale: 1, WeightDecay: cfg.WeightDecay, Momentum: cfg.Momentum},
		[maxSlots]slot{{name: "momentum_buffer"}},
		func(h hyper) [maxSlots]bool { return [maxSlots]bool{h.Momentum != 0} }, cfg)
	return o
}

// Step updates every parameter that has a gradient. With GOMAXPROCS > 1
// and at least parallelMin elements, the parameters are split into two
// ranges of about equal size, updated concurrently on the worker pool of
// package tensor's kernels; every element's update is the same either way.
func (o *SGD) Step() {
	n := len(o.params)
	total := 0
	for i := range o.params {
		total += o.params[i].v.Value.Len()
	}
	if total < parallelMin || n < 2 || runtime.GOMAXPROCS(0) < 2 {
		o.update(0, n)
		o.steps++
		return
	}
	for i := range o.params {
		o.params[i].data() // shape checks panic here, in the caller
	}
	// The first parameter index past half of the elements.
	k, acc := 0, 0
	for k < n-1 && 2*acc < total {
		acc += o.params[k].v.Value.Len()
		k++
	}
	o.split = k
	parallel.For(2, 1, o.halves)
	o.steps++
}

// updateHalf updates the parameters of range lo of Step's two: [0, split)
// for lo = 0 and [split, len(params)) for lo = 1.
func (o *SGD) updateHalf(lo, _ int) {
	if lo == 0 {
		o.update(0, o.split)
	} else {
		o.update(o.split, len(o.params))
	}
}

// update applies the update to parameters [lo, hi).
func (o *SGD) update(lo, hi int) {
	damp := 1 - o.cfg.Dampening
	nesterov := o.cfg.Nesterov
	o.eachWithGrad(lo, hi, func(p *param, g, w []float32, lr float64) {
		wd, mu := p.h.WeightDecay, p.h.Momentum
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
	})
}
