package nas

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xa5)) }

// tinySpace is a search space small enough to run forward passes in
// tests, with every kind of choice: three kernels, three expansions,
// dropped layers, squeeze-excite, three LightNL ratios and three strides.
func tinySpace() Space {
	return Space{
		InputSize: 12, InputChannels: 3, Classes: 3,
		StemWidth: 8, StemStride: 1, HeadWidth: 24, WidthMultiplier: 1,
		Activation: models.Swish, BNMomentum: 0.1, BNEps: 1e-3,
		Kernels: []int{3, 5, 7}, Expansions: []float64{2, 3, 4},
		NonLocalRatios: []float64{0.125, 0.25, 0.5}, NonLocalStrides: []int{1, 2, 4},
		LayerSkip: true,
		Stages: []Stage{
			{Width: 8, Repeats: 1, Stride: 1, Kernels: []int{3}, Expansions: []float64{1}, NoNonLocal: true},
			{Width: 16, Repeats: 2, Stride: 2, SE: 0.25},
			{Width: 16, Repeats: 2, Stride: 1, Kernels: []int{3, 5}, Expansions: []float64{3, 6}},
		},
	}
}

// randomConfigs returns a configuration for each layer from random gate
// bits.
func randomConfigs(rng *rand.Rand, n *Supernet) []Choice {
	cs := make([]Choice, len(n.Layers))
	for i, l := range n.Layers {
		cs[i] = configOf(l.Spec, uint(rng.IntN(1<<len(l.Gates))))
	}
	return cs
}

func TestPresets(t *testing.T) {
	for _, p := range Presets() {
		require.NoError(t, p.Space.Validate(), p.Name)
		back, err := ParseSpace(p.Space.JSON())
		require.NoError(t, err, p.Name)
		assert.Equal(t, p.Space, back, p.Name)
		n, err := NewSupernet(p.Space, newRNG(1))
		require.NoError(t, err, p.Name)
		// The space must contain networks below and above the target.
		smallest, largest := make([]Choice, len(n.Layers)), n.Choices()
		for i, l := range n.Layers {
			smallest[i] = configOf(l.Spec, 0)
		}
		lo, hi := n.MACs(smallest), n.MACs(largest)
		t.Logf("%s: MACs from %d to %d, target %d", p.Name, lo, hi, p.Target)
		assert.Less(t, lo, p.Target, p.Name)
		assert.Greater(t, hi, p.Target, p.Name)
	}
	_, err := LookupPreset("cifar")
	assert.EqualError(t, err, `nas: unknown preset "cifar"; want imagenet or small`)
}

func TestParseSpaceErrors(t *testing.T) {
	ok := string(tinySpace().JSON())
	_, err := ParseSpace([]byte(ok))
	require.NoError(t, err)
	for _, tc := range []struct{ edit func(*Space) string }{
		{func(s *Space) string { s.InputSize = 0; return "input_size: 0, want at least 1" }},
		{func(s *Space) string {
			s.Kernels = []int{3, 4}
			return "kernels: [3 4], want increasing odd kernel sizes"
		}},
		{func(s *Space) string { s.Kernels = nil; return "kernels: empty" }},
		{func(s *Space) string {
			s.Expansions = []float64{1, 6}
			return "expansions: [1 6]: expansion 1 (no expansion conv) cannot be searched"
		}},
		{func(s *Space) string {
			s.NonLocalStrides = []int{2, 3}
			return "nonlocal_strides: [2 3], want increasing strides ≥ 1, each dividing the next"
		}},
		{func(s *Space) string {
			s.NonLocalRatios = []float64{0.25, 0.125}
			return "nonlocal_ratios: [0.25 0.125], want increasing ratios in (0, 1]"
		}},
		{func(s *Space) string { s.Stages[1].Repeats = 0; return "stages[1].repeats: 0, want at least 1" }},
		{func(s *Space) string {
			s.Stages[1].Width, s.NonLocalRatios = 8, []float64{0.1, 0.25}
			return "stages[1]: LightNL ratio 0.1 leaves no query channel at width 8"
		}},
		{func(s *Space) string {
			s.Activation = models.Sigmoid
			return "activation: Sigmoid, want relu, relu6, swish or hardswish"
		}},
		{func(s *Space) string { s.Stages = nil; return "stages: none" }},
	} {
		s := tinySpace()
		want := tc.edit(&s)
		_, err := ParseSpace(s.JSON())
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
	_, err = ParseSpace([]byte(`{"input_size": 32, "kernel": [3]}`))
	assert.ErrorContains(t, err, `unknown field "kernel"`)
	_, err = ParseSpace([]byte(ok + "{}"))
	assert.ErrorContains(t, err, "data after the JSON object")
}

// Every bit vector selects a configuration, and bitsOf finds the bits of
// every configuration back (the canonical ones: no open gate under a
// closed one).
func TestConfigBits(t *testing.T) {
	specs, err := tinySpace().Layers()
	require.NoError(t, err)
	for _, l := range specs {
		g := len(gateLayout(l))
		seen := map[Choice]bool{}
		for v := range uint(1 << g) {
			c := configOf(l, v)
			seen[c] = true
			bits, ok := bitsOf(l, c)
			require.True(t, ok, "layer %d %+v", l.Index, c)
			assert.Equal(t, c, configOf(l, bits), "layer %d bits %b", l.Index, v)
		}
		want := len(l.Kernels) * len(l.Expansions) * (1 + len(l.NonLocalRatios)*len(l.NonLocalStrides))
		if l.Droppable {
			want++ // a dropped layer is one configuration, whatever the rest
			seenDropped := 0
			for c := range seen {
				if !c.Keep {
					seenDropped++
				}
			}
			want += seenDropped - 1
		}
		assert.Len(t, seen, want, "layer %d", l.Index)
	}
	_, ok := bitsOf(specs[0], Choice{Kernel: 5, Expansion: 1, Keep: true})
	assert.False(t, ok)
	_, ok = bitsOf(specs[0], Choice{Kernel: 3, Expansion: 1, Keep: false})
	assert.False(t, ok, "the first layer of a stage cannot be dropped")
}

// The cost of the configurations equals the count of the derived arch
// strings and the profile of the network built from them.
func TestCostMatchesProfile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		space Space
		nets  int
	}{
		{"tiny", tinySpace(), 30},
		{"small", mustPreset(t, "small").Space, 10},
		{"imagenet", mustPreset(t, "imagenet").Space, 3},
	} {
		rng := newRNG(2)
		n, err := NewSupernet(tc.space, rng)
		require.NoError(t, err)
		for range tc.nets {
			cs := randomConfigs(rng, n)
			d, err := n.Derive(cs)
			require.NoError(t, err)
			macs := n.MACs(cs)
			assert.Equal(t, d.Cost.Total.MACs, macs, tc.name)
			net, err := d.NewModel(rng)
			require.NoError(t, err)
			prof, err := models.Profile(net, models.Shape{C: tc.space.InputChannels, H: tc.space.InputSize, W: tc.space.InputSize})
			require.NoError(t, err)
			assert.Equal(t, prof.Total.MACs, macs, "%s: %s", tc.name, d.Arch())
			assert.Equal(t, prof.Total.Params, d.Cost.Total.Params, tc.name)
		}
	}
}

func mustPreset(t *testing.T, name string) Preset {
	p, err := LookupPreset(name)
	require.NoError(t, err)
	return p
}

// With its gates set to a configuration, the supernet computes what the
// derived network with inherited weights computes, in both modes: the
// masks are exact.
func TestSupernetComputesDerivedNetwork(t *testing.T) {
	rng := newRNG(3)
	s := tinySpace()
	n, err := NewSupernet(s, rng)
	require.NoError(t, err)
	// Random BN and LightNL parameters, so that every part matters.
	for _, p := range nn.NamedParams(n) {
		if !isArch(p.Name) {
			p.Var.Value.CopyFrom(tensor.Normal(rng, 0.2, 0.5, p.Var.Value.Shape()...))
		}
	}
	x := tensor.Normal(rng, 0, 1, 4, s.InputChannels, s.InputSize, s.InputSize)
	for trial := range 12 {
		cs := randomConfigs(rng, n)
		d, err := n.Derive(cs)
		require.NoError(t, err)
		require.NoError(t, n.SetChoices(cs))
		for _, training := range []bool{false, true} {
			net, err := n.Inherit(d, rng)
			require.NoError(t, err)
			nn.SetTraining(n, training)
			nn.SetTraining(net, training)
			var want, got *tensor.Tensor
			autograd.NoGrad(func() {
				want = net.Forward(autograd.Const(x)).Value
				got = n.Forward(autograd.Const(x)).Value
			})
			requireClose(t, want, got, 1e-4, "trial %d training %v: %s", trial, training, d.Arch())
		}
		assert.Equal(t, cs, n.Choices())
	}
	n.ClearChoices()
	// Fresh thresholds open every gate: the largest configuration.
	for i, c := range n.Choices() {
		l := n.Layers[i].Spec
		assert.Equal(t, Choice{Kernel: l.Kernels[len(l.Kernels)-1], Expansion: l.Expansions[len(l.Expansions)-1], Keep: true,
			NonLocal: largestNonLocal(l)}, c)
	}
}

func largestNonLocal(l LayerSpec) models.LightNLSpec {
	if !l.HasNonLocal() {
		return models.LightNLSpec{}
	}
	return models.LightNLSpec{Ratio: l.NonLocalRatios[len(l.NonLocalRatios)-1], Stride: l.NonLocalStrides[0]}
}

func requireClose(t *testing.T, want, got *tensor.Tensor, tol float64, format string, args ...any) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape())
	worst, scale := 0.0, 0.0
	for i, v := range want.Data() {
		scale = max(scale, math.Abs(float64(v)))
		worst = max(worst, math.Abs(float64(v)-float64(got.Data()[i])))
	}
	require.LessOrEqual(t, worst, tol*max(scale, 1), append([]any{"max difference %.3g of %.3g: " + format, worst, scale}, args...)...)
}

// The cost Var equals MACs for hard gates, and its gradient is the
// multilinear extension's, checked by finite differences at soft gate
// values.
func TestCostVar(t *testing.T) {
	rng := newRNG(4)
	n, err := NewSupernet(tinySpace(), rng)
	require.NoError(t, err)
	for range 5 {
		cs := randomConfigs(rng, n)
		require.NoError(t, n.SetChoices(cs))
		autograd.NoGrad(func() { n.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 2, 3, 12, 12))) })
		c := n.Cost()
		assert.InDelta(t, float64(n.MACs(cs)), float64(c.Value.Data()[0]), 1e-6*float64(n.MACs(cs)))
	}
	var soft []*tensor.Tensor
	for _, l := range n.Layers {
		for range l.Gates {
			soft = append(soft, tensor.FromSlice([]float32{0.2 + 0.6*rng.Float32()}, 1))
		}
	}
	// Scaled to millions: the check's step is absolute.
	rep := autograd.CheckGradWith(autograd.GradCheckConfig{Step: 1e-2}, func(in ...*autograd.Var) *autograd.Var {
		return autograd.MulScalar(n.costOf(in), 1e-6)
	}, soft...)
	require.Less(t, rep.Error, 1e-3, "%v", rep)
	// At hard values, ∂C/∂d is the MACs the decision adds.
	for i, l := range n.Layers {
		if len(l.Gates) == 0 {
			continue
		}
		var ds []*autograd.Var
		for _, m := range n.Layers {
			for range m.Gates {
				ds = append(ds, autograd.Param(tensor.Ones(1)))
			}
		}
		n.costOf(ds).Backward()
		off := 0
		for _, m := range n.Layers[:i] {
			off += len(m.Gates)
		}
		all := uint(1<<len(l.Gates)) - 1
		for j := range l.Gates {
			want := n.tables[i].macs[all] - n.tables[i].macs[all&^(1<<j)]
			assert.InDelta(t, float64(want), float64(ds[off+j].Grad.Data()[0]), 1e-6*float64(n.MACs(n.Choices())), "layer %d gate %s", i, l.Gates[j].Name)
		}
	}
}

// The thresholds receive the straight-through gradient: with
// d = 1[s − t > 0], ∂L/∂t = −σ'(s − t)·(∂L/∂d + ∂R/∂d), where R is the
// cost term, which sees the gates through detached statistics: the
// weights behind s, and a gate's own statistic, get σ'(s − t)·∂L/∂d
// alone.
func TestThresholdGradient(t *testing.T) {
	rng := newRNG(5)
	n, err := NewSupernet(tinySpace(), rng)
	require.NoError(t, err)
	n.SetNonLocalGamma(0.25)
	for _, p := range n.Thresholds() {
		p.Var.Value.Data()[0] = float32(rng.NormFloat64() * 0.1)
	}
	x := autograd.Const(tensor.Normal(rng, 0, 1, 3, 3, 12, 12))
	logits := n.Forward(x)
	var gates, costGates []*autograd.Var
	for _, l := range n.Layers {
		for i, d := range l.last {
			d.RetainGrad()
			l.lastCost[i].RetainGrad()
			gates = append(gates, d)
			costGates = append(costGates, l.lastCost[i])
		}
	}
	loss := autograd.Add(nn.CrossEntropyLoss{}.Forward(logits, []int{0, 1, 2}), autograd.MulScalar(n.Cost(), 1e-7))
	loss.Backward()
	k := 0
	moved := 0
	for _, l := range n.Layers {
		stats := l.Statistics()
		for i, th := range l.Thresholds {
			z := stats[i] - float64(th.Value.Data()[0])
			sig := 1 / (1 + math.Exp(-z))
			want := -sig * (1 - sig) * float64(gates[k].Grad.Data()[0]+costGates[k].Grad.Data()[0])
			require.NotNil(t, th.Grad, "%s", l.Gates[i].Name)
			assert.InDelta(t, want, float64(th.Grad.Data()[0]), 1e-6+1e-4*math.Abs(want), "layer %d %s", l.Spec.Index, l.Gates[i].Name)
			if own := l.Stats[i]; own != nil {
				wantS := sig * (1 - sig) * float64(gates[k].Grad.Data()[0])
				require.NotNil(t, own.Grad, "%s", l.Gates[i].Name)
				assert.InDelta(t, wantS, float64(own.Grad.Data()[0]), 1e-6+1e-4*math.Abs(wantS), "layer %d own statistic of %s", l.Spec.Index, l.Gates[i].Name)
			}
			if th.Grad.Data()[0] != 0 {
				moved++
			}
			k++
		}
	}
	assert.Equal(t, len(gates), moved, "every threshold gets a gradient")

	// The cost term alone moves thresholds only.
	for _, p := range nn.NamedParams(n) {
		p.Var.ZeroGrad()
	}
	n.Forward(x)
	n.Cost().Backward()
	for _, p := range n.Weights() {
		if p.Var.Grad != nil {
			for _, v := range p.Var.Grad.Data() {
				require.Zero(t, v, "cost gradient on %s", p.Name)
			}
		}
	}
	for _, l := range n.Layers {
		for i, th := range l.Thresholds {
			require.NotNil(t, th.Grad, "%s", l.Gates[i].Name)
			if own := l.Stats[i]; own != nil && own.Grad != nil {
				assert.Zero(t, own.Grad.Data()[0], "cost gradient on the own statistic of %s", l.Gates[i].Name)
			}
		}
	}
}

// A closed gate hears the loss as an open one does: closed by its
// threshold alone (t = s + 1, every other gate open), each gate's
// threshold gets a non-zero gradient from the loss, whatever the
// activation. With ReLU or ReLU6 this needs the expansion mask after the
// activation: on the batch norm's affine parameters it left a closed
// expansion's channels at 0 before the activation, where ReLU's
// subgradient is 0, and the loss could never reopen the gate.
func TestClosedGateHearsLoss(t *testing.T) {
	for _, act := range []models.Activation{models.ReLU6, models.ReLU, models.Swish} {
		sp := tinySpace()
		sp.Activation = act
		n, err := NewSupernet(sp, newRNG(9))
		require.NoError(t, err)
		n.SetNonLocalGamma(0.25)
		x := autograd.Const(tensor.Normal(newRNG(10), 0, 1, 3, 3, 12, 12))
		for _, l := range n.Layers {
			stats := l.Statistics()
			for i, g := range l.Gates {
				for _, p := range nn.NamedParams(n) {
					p.Var.ZeroGrad()
				}
				th := l.Thresholds[i].Value.Data()
				saved := th[0]
				th[0] = float32(stats[i] + 1)
				nn.CrossEntropyLoss{}.Forward(n.Forward(x), []int{0, 1, 2}).Backward()
				th[0] = saved
				require.Zero(t, l.last[i].Value.Data()[0], "%v: layer %d %s is not closed", act, l.Spec.Index, g.Name)
				require.NotNil(t, l.Thresholds[i].Grad, "%v: layer %d %s", act, l.Spec.Index, g.Name)
				assert.NotZero(t, l.Thresholds[i].Grad.Data()[0], "%v: layer %d %s, closed: the loss's gradient on its threshold", act, l.Spec.Index, g.Name)
			}
		}
	}
}

// The gates' statistics share one scale at initialization: the RMS of the
// weights a decision adds lies within a factor 2.5 across every gate of a
// preset, while the L2 norm (Single-Path NAS's statistic) spreads by more
// than 3× with the number of weights, so that one threshold learning rate
// could not serve narrow and wide layers alike.
func TestStatisticsShareOneScale(t *testing.T) {
	for _, p := range Presets() {
		n, err := NewSupernet(p.Space, newRNG(1))
		require.NoError(t, err)
		rmsLo, rmsHi := math.Inf(1), 0.0
		l2Lo, l2Hi := math.Inf(1), 0.0
		for _, l := range n.Layers {
			for i, s := range l.Statistics() {
				l2 := s * math.Sqrt(float64(l.statN[i]))
				rmsLo, rmsHi = min(rmsLo, s), max(rmsHi, s)
				l2Lo, l2Hi = min(l2Lo, l2), max(l2Hi, l2)
			}
		}
		t.Logf("%s: RMS %.3f to %.3f (%.1f×), L2 %.2f to %.2f (%.1f×)", p.Name, rmsLo, rmsHi, rmsHi/rmsLo, l2Lo, l2Hi, l2Hi/l2Lo)
		assert.Less(t, rmsHi/rmsLo, 2.5, p.Name)
		assert.Greater(t, l2Hi/l2Lo, 3.0, p.Name)
	}
}

// The search's gate dropout computes the same random subnetwork as the
// warm-up's, but a closed gate still gets the loss's straight-through
// gradient, read with the decision closed, and the cost still counts the
// network the thresholds select; the warm-up's closes gates for the cost
// too and gives them no gradient.
func TestSearchDropout(t *testing.T) {
	n, err := NewSupernet(tinySpace(), newRNG(6))
	require.NoError(t, err)
	n.SetNonLocalGamma(0.25)
	x := autograd.Const(tensor.Normal(newRNG(7), 0, 1, 3, 3, 12, 12))
	full := n.MACs(n.Choices())
	run := func(search bool) (out []float32, gates []float32, grads []float32, cost float64) {
		for _, p := range nn.NamedParams(n) {
			p.Var.ZeroGrad()
		}
		rng := newRNG(8)
		if search {
			n.SetSearchDropout(rng, 0.5)
		} else {
			n.SetGateDropout(rng, 0.5)
		}
		defer n.SetGateDropout(nil, 1)
		logits := n.Forward(x)
		nn.CrossEntropyLoss{}.Forward(logits, []int{0, 1, 2}).Backward()
		for _, l := range n.Layers {
			for i, d := range l.last {
				gates = append(gates, d.Value.Data()[0])
				var g float32
				if th := l.Thresholds[i]; th.Grad != nil {
					g = th.Grad.Data()[0]
				}
				grads = append(grads, g)
			}
		}
		return slices.Clone(logits.Value.Data()), gates, grads, float64(n.Cost().Value.Data()[0])
	}
	outW, gatesW, gradsW, costW := run(false)
	outS, gatesS, gradsS, costS := run(true)
	require.Equal(t, outW, outS, "both dropouts compute the same subnetwork")
	require.Equal(t, gatesW, gatesS)
	// A closed gate matters (and gets a gradient) where the gates it nests
	// under are open: the layer's keep gate, the smaller choices of its
	// kind, and, for a ratio or stride, the LightNL insert gate.
	closed, k := 0, 0
	for _, l := range n.Layers {
		open := func(kind GateKind, below int) bool {
			for j, g := range l.Gates[:below] {
				if g.Kind == kind && gatesS[k+j] == 0 {
					return false
				}
			}
			return true
		}
		for i, g := range l.Gates {
			nested := open(g.Kind, i) && (g.Kind == KeepGate || open(KeepGate, len(l.Gates))) &&
				(g.Kind != RatioGate && g.Kind != StrideGate || open(NonLocalGate, len(l.Gates)))
			if gatesS[k+i] == 0 && nested {
				closed++
				assert.Zero(t, gradsW[k+i], "%s: the warm-up's dropout passes no gradient", g.Name)
				assert.NotZero(t, gradsS[k+i], "%s: the search's dropout passes the loss's gradient", g.Name)
			}
		}
		k += len(l.Gates)
	}
	require.Positive(t, closed, "the draw closed no gate that matters")
	assert.InDelta(t, float64(full), costS, 1e-6*float64(full), "the search's cost counts the thresholds' network")
	assert.Less(t, costW, float64(full), "the warm-up's cost counts the subnetwork")
}
