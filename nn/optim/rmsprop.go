package optim

import (
	"cmp"
	"fmt"
	"math"
)

// RMSPropConfig configures RMSProp with PyTorch's semantics
// (torch.optim.RMSprop).
type RMSPropConfig struct {
	// LR is the initial learning rate η.
	LR float64 `json:"lr"`
	// Alpha α is the smoothing constant of the mean square; zero means
	// PyTorch's default 0.99.
	Alpha float64 `json:"alpha"`
	// Eps ε is added to the root mean square, outside the square root;
	// zero means PyTorch's default 1e-8.
	Eps float64 `json:"eps"`
	// Momentum μ; zero means no momentum buffer.
	Momentum float64 `json:"momentum"`
	// Centered normalises by an estimate of the gradient's variance
	// instead of its second moment.
	Centered bool `json:"centered"`
	// WeightDecay λ is an L2 penalty: λ·w is added to the gradient.
	WeightDecay float64 `json:"weight_decay"`
}

// RMSProp is RMSProp exactly as torch.optim.RMSprop. The mean square starts
// at zero and ε is added outside the square root; the learning rate scales
// the update, not the momentum buffer's input. For each parameter w with
// gradient g, one step is
//
//	g ← g + λ·w
//	v ← α·v + (1 − α)·g²
//	m ← α·m + (1 − α)·g                       (centered)
//	r ← √(v − m²) + ε  (centered)  or  √v + ε
//	b ← μ·b + g/r,  w ← w − η·b               if μ > 0
//	w ← w − η·g/r                             otherwise
//
// with state buffers "square_avg" (v), "grad_avg" (m, centered only) and
// "momentum_buffer" (b, if μ > 0). For TensorFlow's variant, used by the
// MnasNet and AutoNL recipes, see RMSPropTF.
type RMSProp struct {
	core
	cfg RMSPropConfig
}

// NewRMSProp returns a PyTorch RMSProp optimizer over groups. It panics if
// the configuration is invalid, if a parameter has no name or appears twice.
func NewRMSProp(groups []Group, cfg RMSPropConfig) *RMSProp {
	cfg.Alpha = cmp.Or(cfg.Alpha, 0.99) // PyTorch's defaults
	cfg.Eps = cmp.Or(cfg.Eps, 1e-8)
	o := &RMSProp{cfg: cfg}
	o.core = newRMSCore("rmsprop", groups, cfg.LR, cfg.Alpha, cfg.Eps, cfg.Momentum, cfg.WeightDecay, cfg.Centered,
		[maxSlots]slot{{name: "square_avg"}, {name: "momentum_buffer"}, {name: "grad_avg"}}, cfg)
	return o
}

// newRMSCore returns the core of an RMSProp variant, after checking the
// settings both variants share (it panics, naming the variant, if the
// smoothing constant, ε, μ or λ is negative or NaN). slots are the
// variant's state buffers: the mean square (always kept), the momentum
// buffer (kept if μ > 0) and the mean gradient (kept if centered).
func newRMSCore(name string, groups []Group, lr, smoothing, eps, mu, wd float64, centered bool, slots [maxSlots]slot, cfg any) core {
	if !(smoothing >= 0) || !(eps >= 0) || !(mu >= 0) || !(wd >= 0) {
		panic(fmt.Sprintf("optim: %s: invalid configuration %+v", name, cfg))
	}
	return newCore(name, lr, groups, hyper{LRScale: 1, WeightDecay: wd, Momentum: mu}, slots,
		func(h hyper) [maxSlots]bool { return [maxSlots]bool{true, h.Momentum > 0, centered} }, cfg)
}

// Step updates every parameter that has a gradient.
func (o *RMSProp) Step() {
	alpha, eps, centered := o.cfg.Alpha, o.cfg.Eps, o.cfg.Centered
	o.eachWithGrad(0, len(o.params), func(p *param, g, w []float32, lr float64) {
		wd, mu := p.h.WeightDecay, p.h.Momentum
		sq, mom, ga := p.buf[0], p.buf[1], p.buf[2]
		for j := range w {
			wj := float64(w[j])
			gj := float64(g[j])
			if wd != 0 {
				gj += wd * wj
			}
			v := alpha*float64(sq[j]) + (1-alpha)*gj*gj
			sq[j] = float32(v)
			if centered {
				m := alpha*float64(ga[j]) + (1-alpha)*gj
				ga[j] = float32(m)
				v -= m * m
			}
			u := gj / (math.Sqrt(v) + eps)
			if mu > 0 {
				u += mu * float64(mom[j])
				mom[j] = float32(u)
			}
			w[j] = float32(wj - lr*u)
		}
	})
	o.steps++
}

// RMSPropTFConfig configures RMSProp with TensorFlow's semantics.
type RMSPropTFConfig struct {
	// LR is the initial learning rate η.
	LR float64 `json:"lr"`
	// Rho ρ is the discount of the mean square, TF1's "decay" (Keras's
	// "rho"); zero means TensorFlow's default 0.9.
	Rho float64 `json:"rho"`
	// Momentum μ; zero means no momentum buffer (the update is then the
	// same as TensorFlow's with momentum 0).
	Momentum float64 `json:"momentum"`
	// Eps ε is added to the mean square inside the square root; zero
	// means TF1's default 1e-10. The MnasNet and AutoNL recipes use 1e-3.
	Eps float64 `json:"epsilon"`
	// Centered normalises by an estimate of the gradient's variance.
	Centered bool `json:"centered"`
	// WeightDecay λ is an L2 penalty: λ·w is added to the gradient, which
	// is what adding λ·Σw²/2 (tf.nn.l2_loss) to the loss does in the
	// TensorFlow recipes.
	WeightDecay float64 `json:"weight_decay"`
	// InitMS is the initial value of the mean square; nil means 1, as
	// TF1's RMSPropOptimizer (and timm's RMSpropTF). new(0.0) gives the
	// zero start of Keras 2's RMSprop.
	InitMS *float64 `json:"init_ms,omitempty"`
}

// RMSPropTF is RMSProp as TensorFlow 1 computes it
// (tf.compat.v1.train.RMSPropOptimizer, the optimizer of the MnasNet,
// EfficientNet and AutoNL training code). For each parameter w with
// gradient g, one step is
//
//	g   ← g + λ·w
//	ms  ← ms + (1 − ρ)·(g² − ms)              (= ρ·ms + (1 − ρ)·g²)
//	mg  ← mg + (1 − ρ)·(g − mg)               (centered)
//	mom ← μ·mom + η·g / √(ms − mg² + ε)       (centered)
//	mom ← μ·mom + η·g / √(ms + ε)             (otherwise)
//	w   ← w − mom
//
// These are the kernels ApplyRMSProp and ApplyCenteredRMSProp of
// tensorflow/core/kernels/training_ops.cc. It differs from PyTorch's
// RMSProp in three ways: ε is inside the square root; the learning rate is
// inside the momentum buffer, so a change of learning rate takes effect
// gradually; and the mean square starts at one, not zero, because
// RMSPropOptimizer._create_slots (tensorflow/python/training/rmsprop.py)
// initialises the "rms" slot with init_ops.ones_initializer — which keeps
// the first steps small (about η·g for small gradients, instead of
// η·sign(g)/√(1 − ρ) from a zero start). Keras 2's
// tf.keras.optimizers.RMSprop starts at zero instead; see InitMS. The state
// buffers carry TensorFlow's slot names: "rms" (ms), "momentum" (mom, if
// μ > 0) and "mg" (centered only).
type RMSPropTF struct {
	core
	cfg RMSPropTFConfig
}

// NewRMSPropTF returns a TensorFlow RMSProp optimizer over groups. It
// panics if the configuration is invalid, if a parameter has no name or
// appears twice.
func NewRMSPropTF(groups []Group, cfg RMSPropTFConfig) *RMSPropTF {
	cfg.Rho = cmp.Or(cfg.Rho, 0.9) // TensorFlow's defaults
	cfg.Eps = cmp.Or(cfg.Eps, 1e-10)
	init := 1.0
	if cfg.InitMS != nil {
		init = *cfg.InitMS
	}
	if !(init >= 0) {
		panic(fmt.Sprintf("optim: rmsprop_tf: invalid configuration %+v", cfg))
	}
	o := &RMSPropTF{cfg: cfg}
	o.core = newRMSCore("rmsprop_tf", groups, cfg.LR, cfg.Rho, cfg.Eps, cfg.Momentum, cfg.WeightDecay, cfg.Centered,
		[maxSlots]slot{{name: "rms", init: float32(init)}, {name: "momentum"}, {name: "mg"}}, cfg)
	return o
}

// Step updates every parameter that has a gradient.
func (o *RMSPropTF) Step() {
	r, eps, centered := 1-o.cfg.Rho, o.cfg.Eps, o.cfg.Centered
	o.eachWithGrad(0, len(o.params), func(p *param, g, w []float32, lr float64) {
		wd, mu := p.h.WeightDecay, p.h.Momentum
		ms, mom, mg := p.buf[0], p.buf[1], p.buf[2]
		for j := range w {
			wj := float64(w[j])
			gj := float64(g[j])
			if wd != 0 {
				gj += wd * wj
			}
			v := float64(ms[j])
			v += (gj*gj - v) * r
			ms[j] = float32(v)
			if centered {
				m := float64(mg[j])
				m += (gj - m) * r
				mg[j] = float32(m)
				v -= m * m
			}
			u := lr * gj / math.Sqrt(v+eps)
			if mu > 0 {
				u += mu * float64(mom[j])
				mom[j] = float32(u)
			}
			w[j] = float32(wj - u)
		}
	})
	o.steps++
}
