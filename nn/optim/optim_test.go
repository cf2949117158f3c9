package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/internal/parallel"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*RMSProp)(nil)
	_ Optimizer = (*RMSPropTF)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Stateful  = (*EMA)(nil)
)

// testParams returns parameters named p0, p1, ... with the given shapes and
// random values.
func testParams(rng *rand.Rand, shapes ...[]int) []nn.Param {
	ps := make([]nn.Param, len(shapes))
	for i, s := range shapes {
		ps[i] = nn.Param{Name: fmt.Sprintf("p%d", i), Var: autograd.Param(randTensor(rng, s...))}
	}
	return ps
}

func randTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(rng.NormFloat64())
	}
	return t
}

// randGrads gives every parameter a random gradient, except those for
// which skip returns true, which get none.
func randGrads(rng *rand.Rand, ps []nn.Param, skip func(i int) bool) {
	for i, p := range ps {
		p.Var.Grad = nil
		if skip == nil || !skip(i) {
			p.Var.Grad = randTensor(rng, p.Var.Value.Shape()...)
		}
	}
}

// allOptimizers returns a constructor for every kind of optimizer, in
// configurations that use every buffer.
func allOptimizers() map[string]func([]Group) Optimizer {
	return map[string]func([]Group) Optimizer{
		"sgd": func(g []Group) Optimizer { return NewSGD(g, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-2}) },
		"sgd nesterov": func(g []Group) Optimizer {
			return NewSGD(g, SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-2})
		},
		"rmsprop": func(g []Group) Optimizer {
			return NewRMSProp(g, RMSPropConfig{LR: 0.01, Momentum: 0.9, Centered: true, WeightDecay: 1e-2})
		},
		"rmsprop_tf": func(g []Group) Optimizer {
			return NewRMSPropTF(g, RMSPropTFConfig{LR: 0.016, Momentum: 0.9, Eps: 1e-3, Centered: true, WeightDecay: 1e-5})
		},
		"adam":  func(g []Group) Optimizer { return NewAdam(g, AdamConfig{LR: 1e-3, AMSGrad: true, WeightDecay: 1e-2}) },
		"adamw": func(g []Group) Optimizer { return NewAdamW(g, AdamConfig{LR: 1e-3, AMSGrad: true, WeightDecay: 1e-2}) },
	}
}

func TestSplitDecay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ps := testParams(rng, []int{8, 3, 3, 3}, []int{8}, []int{8}, []int{10, 8}, []int{10})
	groups := SplitDecay(ps, nil)
	require.Len(t, groups, 2)
	assert.Equal(t, []nn.Param{ps[0], ps[3]}, groups[0].Params)
	assert.Nil(t, groups[0].WeightDecay)
	assert.Equal(t, []nn.Param{ps[1], ps[2], ps[4]}, groups[1].Params)
	require.NotNil(t, groups[1].WeightDecay)
	assert.Zero(t, *groups[1].WeightDecay)

	byName := SplitDecay(ps, func(p nn.Param) bool { return p.Name == "p4" })
	assert.Equal(t, []nn.Param{ps[4]}, byName[0].Params)
	assert.Len(t, byName[1].Params, 4)

	none := SplitDecay(ps[1:3], nil)
	assert.Empty(t, none[0].Params)
	assert.Len(t, none[1].Params, 2)

	assert.Equal(t, []Group{{Params: ps}}, OneGroup(ps))
}

// TestSplitDecayEffect checks that the group without decay is updated as
// with a zero weight decay and the other with the configured one.
func TestSplitDecayEffect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := testParams(rng, []int{4, 3}, []int{4})
	randGrads(rng, ps, nil)
	w0, b0 := ps[0].Var.Value.Clone(), ps[1].Var.Value.Clone()
	opt := NewSGD(SplitDecay(ps, nil), SGDConfig{LR: 0.5, WeightDecay: 0.1})
	opt.Step()
	for i, v := range ps[0].Var.Value.Data() {
		want := w0.Data()[i] - 0.5*(ps[0].Var.Grad.Data()[i]+0.1*w0.Data()[i])
		assert.InDelta(t, want, v, 1e-6)
	}
	for i, v := range ps[1].Var.Value.Data() {
		assert.InDelta(t, b0.Data()[i]-0.5*ps[1].Var.Grad.Data()[i], v, 1e-6)
	}
}

// TestGroupOverrides checks each override against an optimizer configured
// with the overridden value.
func TestGroupOverrides(t *testing.T) {
	type ctor func(lr, wd, mom float64, g []Group) Optimizer
	ctors := map[string]ctor{
		"sgd": func(lr, wd, mom float64, g []Group) Optimizer {
			return NewSGD(g, SGDConfig{LR: lr, WeightDecay: wd, Momentum: mom})
		},
		"rmsprop": func(lr, wd, mom float64, g []Group) Optimizer {
			return NewRMSProp(g, RMSPropConfig{LR: lr, WeightDecay: wd, Momentum: mom})
		},
		"rmsprop_tf": func(lr, wd, mom float64, g []Group) Optimizer {
			return NewRMSPropTF(g, RMSPropTFConfig{LR: lr, WeightDecay: wd, Momentum: mom, Eps: 1e-3})
		},
		"adam": func(lr, wd, mom float64, g []Group) Optimizer {
			return NewAdam(g, AdamConfig{LR: lr, WeightDecay: wd, Betas: [2]float64{mom, 0.999}})
		},
		"adamw": func(lr, wd, mom float64, g []Group) Optimizer {
			return NewAdamW(g, AdamConfig{LR: lr, WeightDecay: wd, Betas: [2]float64{mom, 0.999}})
		},
	}
	for name, mk := range ctors {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			a := testParams(rng, []int{5, 2})
			b := testParams(rand.New(rand.NewPCG(5, 6)), []int{5, 2})
			// The overridden group: lr 0.01·0.5, weight decay 0.2, momentum 0.7.
			optA := mk(0.01, 0.05, 0.8, []Group{{Params: a, LRScale: new(0.5), WeightDecay: new(0.2), Momentum: new(0.7)}})
			optB := mk(0.005, 0.2, 0.7, OneGroup(b))
			for range 4 {
				g := randTensor(rng, 5, 2)
				a[0].Var.Grad, b[0].Var.Grad = g, g.Clone()
				optA.Step()
				optB.Step()
			}
			assert.InDeltaSlice(t, b[0].Var.Value.Data(), a[0].Var.Value.Data(), 1e-6)
		})
	}
}

func TestMissingGradientsAreSkipped(t *testing.T) {
	for name, mk := range allOptimizers() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			ps := testParams(rng, []int{3, 2}, []int{2})
			opt := mk(OneGroup(ps))
			randGrads(rng, ps, func(i int) bool { return i == 1 })
			b := ps[1].Var.Value.Clone()
			opt.Step()
			assert.Equal(t, b.Data(), ps[1].Var.Value.Data())
			st := opt.State()
			assert.JSONEq(t, `{"p0": 1}`, st.Metadata["optim.param_steps"])
			for _, ts := range st.Tensors {
				assert.Contains(t, ts.Name, "p0.")
			}
		})
	}
}

func TestZeroGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ps := testParams(rng, []int{2}, []int{3})
	randGrads(rng, ps, nil)
	opt := NewSGD(OneGroup(ps), SGDConfig{LR: 1})
	opt.ZeroGrad()
	for _, p := range ps {
		assert.Nil(t, p.Var.Grad)
	}
}

// TestStepDoesNotAllocate checks that Step allocates nothing, from the
// first step on.
func TestStepDoesNotAllocate(t *testing.T) {
	for name, mk := range allOptimizers() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			ps := testParams(rng, []int{16, 8, 3, 3}, []int{16}, []int{10, 16})
			randGrads(rng, ps, nil)
			opt := mk(SplitDecay(ps, nil))
			allocs := testing.AllocsPerRun(20, func() {
				opt.SetLR(0.001)
				opt.Step()
			})
			assert.Zero(t, allocs)
		})
	}
}

func TestLRAndSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	ps := testParams(rng, []int{2})
	opt := NewRMSPropTF(OneGroup(ps), RMSPropTFConfig{LR: 0.25})
	assert.Equal(t, 0.25, opt.LR())
	opt.SetLR(0.125)
	assert.Equal(t, 0.125, opt.LR())
	assert.Equal(t, 0, opt.Steps())
	opt.Step() // no gradients: counts, changes nothing
	assert.Equal(t, 1, opt.Steps())
	assert.Panics(t, func() { opt.SetLR(-1) })
	assert.Panics(t, func() { opt.SetLR(math.NaN()) })
}

func TestInvalidConfigurations(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	ps := testParams(rng, []int{2}, []int{3})
	unnamed := []nn.Param{{Var: ps[0].Var}}
	sameVar := []nn.Param{ps[0], {Name: "other", Var: ps[0].Var}}
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"negative lr", func() { NewSGD(OneGroup(ps), SGDConfig{LR: -1}) }, "optim: sgd: invalid learning rate -1"},
		{"nesterov without momentum", func() { NewSGD(OneGroup(ps), SGDConfig{LR: 1, Nesterov: true}) }, "optim: sgd: Nesterov momentum requires a momentum and zero dampening"},
		{"nesterov with dampening", func() { NewSGD(OneGroup(ps), SGDConfig{LR: 1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}) }, "optim: sgd: Nesterov momentum requires a momentum and zero dampening"},
		{"duplicate name", func() { NewAdam([]Group{{Params: ps}, {Params: ps[:1]}}, AdamConfig{LR: 1}) }, `optim: adam: parameter name "p0" appears twice`},
		{"same var", func() { NewAdamW(OneGroup(sameVar), AdamConfig{LR: 1}) }, `optim: adamw: parameters "p0" and "other" are the same Var`},
		{"unnamed", func() { NewRMSProp(OneGroup(unnamed), RMSPropConfig{LR: 1}) }, "optim: rmsprop: group 0: parameter without a name"},
		{"negative group decay", func() {
			NewRMSPropTF([]Group{{Params: ps, WeightDecay: new(-1.0)}}, RMSPropTFConfig{LR: 1})
		}, "optim: rmsprop_tf: group 0: invalid weight decay -1"},
		{"beta1 of 1", func() { NewAdam([]Group{{Params: ps, Momentum: new(1.0)}}, AdamConfig{LR: 1}) }, "optim: adam: invalid β₁ 1"},
		{"beta2 of 1", func() { NewAdam(OneGroup(ps), AdamConfig{LR: 1, Betas: [2]float64{0.9, 1}}) }, ""},
		{"ema decay", func() { NewEMA(ps, nil, EMAConfig{Decay: 1.5}) }, "optim: ema: decay 1.5 is not in [0, 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.msg == "" {
				assert.Panics(t, tt.f)
			} else {
				assert.PanicsWithValue(t, tt.msg, tt.f)
			}
		})
	}
}

// TestGradientShapeMismatch checks that Step refuses a gradient of the
// wrong size instead of reading out of bounds.
func TestGradientShapeMismatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	ps := testParams(rng, []int{2, 3})
	ps[0].Var.Grad = tensor.New(5)
	opt := NewSGD(OneGroup(ps), SGDConfig{LR: 1})
	assert.PanicsWithValue(t, `optim: parameter "p0": gradient of shape [5] for a value of shape [2 3]`, opt.Step)
}

// TestRMSPropTFFirstStep checks the first step of TensorFlow's RMSProp by
// hand: with ms starting at one the update is η·g/√(ρ + (1−ρ)g² + ε), with
// ms starting at zero it is η·g/√((1−ρ)g² + ε).
func TestRMSPropTFFirstStep(t *testing.T) {
	for _, tt := range []struct {
		name string
		init *float64
		ms   float64
	}{{"ones", nil, 1}, {"zeros", new(0.0), 0}} {
		t.Run(tt.name, func(t *testing.T) {
			p := nn.Param{Name: "w", Var: autograd.Param(tensor.FromSlice([]float32{1, -2}, 2))}
			p.Var.Grad = tensor.FromSlice([]float32{0.5, 4}, 2)
			opt := NewRMSPropTF(OneGroup([]nn.Param{p}), RMSPropTFConfig{LR: 0.1, Rho: 0.9, Momentum: 0.9, Eps: 1e-3, InitMS: tt.init})
			opt.Step()
			for i, g := range []float64{0.5, 4} {
				ms := 0.9*tt.ms + 0.1*g*g
				want := []float64{1, -2}[i] - 0.1*g/math.Sqrt(ms+1e-3)
				assert.InDelta(t, want, float64(p.Var.Value.Data()[i]), 1e-6)
			}
		})
	}
}

// BenchmarkStep measures one step over a million parameters.
func BenchmarkStep(b *testing.B) {
	for name, mk := range allOptimizers() {
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(19, 20))
			ps := testParams(rng, []int{1000, 1000})
			randGrads(rng, ps, nil)
			opt := mk(OneGroup(ps))
			b.SetBytes(4 * 1000 * 1000)
			for b.Loop() {
				opt.Step()
			}
		})
	}
}

// TestSGDLargeStepMatchesSerial checks that SGD's step over a model large
// enough to be split between two goroutines gives bit-for-bit the updates
// of a serial step, and allocates no more than the worker pool's one
// record of the loop.
func TestSGDLargeStepMatchesSerial(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 || parallel.Workers() < 2 {
		t.Skip("needs a worker pool of 2 or more goroutines")
	}
	shapes := [][]int{{300, 400}, {50}, {1000, 90}, {7, 3, 3}, {20000}}
	run := func(procs int) ([][]float32, float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rng := rand.New(rand.NewPCG(21, 22))
		ps := testParams(rng, shapes...)
		opt := NewSGD(OneGroup(ps), SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-3, Nesterov: true})
		var allocs float64
		for step := range 3 {
			randGrads(rng, ps, func(i int) bool { return step == 1 && i == 1 })
			if step == 2 {
				allocs = testing.AllocsPerRun(1, opt.Step)
			} else {
				opt.Step()
			}
		}
		var out [][]float32
		for _, p := range ps {
			out = append(out, p.Var.Value.Data())
		}
		return out, allocs
	}
	serial, _ := run(1)
	split, allocs := run(2)
	assert.Equal(t, serial, split)
	assert.LessOrEqual(t, allocs, 1.0)
}
