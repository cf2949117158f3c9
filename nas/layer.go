package nas

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// Layer is a searchable MBConv layer of a [Supernet]: one superkernel MBConv
// that holds every candidate of its [LayerSpec] at once, as in Single-Path
// NAS, plus a LightNL block whose ratio and key stride are relaxed the same
// way. Its parameters have the names of the MBConv layer of package models
// that the largest configuration would build ("conv.0.0.weight" the
// expansion, "conv.1.0.weight" the depthwise superkernel, ...), and one
// threshold per gate ([Gate.Name], shape [1]).
//
// With Ch = round(In·emax) hidden channels and a kmax×kmax depthwise
// superkernel W (Ch×1×kmax×kmax), the forward pass is
//
//	h = act(BN(expand(x)))                          Ch channels (no expansion conv if emax = 1)
//	h = m ⊙ act(BN(DW_{W⊙K}(h)))                    K: kernel mask, m: channel mask
//	h = SE(h) (if any);  p = BN(project(h))
//	p = p + BN'_{d·γ', d·β'}(DW3×3(A(p)))           LightNL, d its gate (if any)
//	y = x + g·p  (droppable layers: g the keep gate; other layers with a skip: g = 1; else y = p)
//
// where K is 1 on the smallest kernel's centred square and d_k5 (and
// d_k5·d_k7, ...) on the rings around it, m is 1 on the smallest
// expansion's channels and d_e6 on the next group (nested likewise), and
// A is LightNL's attention (lightnl.Attention) of the largest ratio and
// stride 1 with the keys scaled by a ⊗ b: a is 1 on the smallest ratio's
// channels and d_r on the next group, b is 1 on the coarsest stride's key
// grid and d_s on the keys that the finer stride adds. Every mask is exact:
// with the gates' values, the layer computes what the standalone MBConv of
// its derived configuration computes (zeroed ring taps add nothing; a
// masked channel is 0, and so adds nothing to the squeeze-excite unit or
// the projection; zeroed keys leave the affinity of the smaller ratio or
// the larger stride, see lightnl.AttentionConfig.KeyScale), so the
// supernet's cost is that of the largest network and its outputs those of
// the derived one.
//
// The channel mask acts after the activation so that a closed expansion
// gate still hears the loss: ∂L/∂d_e6 = Σ ⟨∂L/∂h_c, act(BN(·))_c⟩ over the
// gate's channels, the value of reopening them. On the batch norm's
// affine parameters (γ⊙m, β⊙m), as an earlier version had it, a closed
// gate's channels were 0 before the activation, where the subgradient of
// ReLU and ReLU6 is 0: the loss's gradient on a closed expansion gate was
// exactly 0, the loss could never reopen one, and an open one heard only
// ⟨γ, ∂L/∂γ⟩ + ⟨β, ∂L/∂β⟩ over its channels, which training drives to 0
// (batch norm parameters are not decayed), so the cost closed the
// expansions of every layer before any layer (docs/search.md, the fifth
// round).
//
// # Gate statistics
//
// Each gate compares a root mean square (RMS) of weights with its
// threshold. The RMS, unlike Single-Path NAS's norm, does not grow with the
// number of weights, so thresholds of layers of any width move on one
// scale. The depthwise gates use disjoint parts of the superkernel W, so
// the straight-through gradient of one decision does not move another's
// statistic:
//
//	kernel gate j   RMS of W on ring j (the taps that kernel j+1 adds), all Ch channels
//	expand gate j   RMS of W on channel group j+1, taps of the smallest kernel
//	keep gate       RMS of W on channel group 0, taps of the smallest kernel
//	LightNL gates   RMS of the LightNL block's 3×3 depthwise weights
//
// The first three follow Single-Path NAS (the norm of the weights a
// decision adds). LightNL has no weights for its queries, keys and values
// (that is what squeezing the transforms means): its insert gate compares
// the RMS of its output transform, and each ratio and stride gate a
// scalar statistic of its own (Stats), which only the loss moves (see the
// package documentation).
type Layer struct {
	nn.Base
	// Conv holds the parts in the order of models.MBConv.
	Conv *nn.Sequential
	// Expand is the expansion ConvBNAct, nil if the largest expansion
	// is 1.
	Expand *models.ConvBNAct
	// Depthwise is the superkernel ConvBNAct.
	Depthwise *models.ConvBNAct
	// SE is the squeeze-excite unit on all Ch channels, or nil.
	SE *nn.SqueezeExcite
	// Project and ProjectBN are the projection and its BN.
	Project   *nn.Conv2d
	ProjectBN *nn.BatchNorm2d
	// NonLocal is the LightNL block of the largest ratio, or nil.
	NonLocal *lightnl.Block
	// Thresholds holds the threshold of each gate, in the order of Gates.
	Thresholds []*autograd.Var
	// Spec describes the layer and Gates its decisions.
	Spec  LayerSpec
	Gates []Gate

	act      models.Activation
	skip     bool
	kernel   []*tensor.Tensor // ringLevels
	channel  []*tensor.Tensor // channelLevels of the hidden widths
	queries  []*tensor.Tensor // channelLevels of the LightNL ratios, reshaped 1×rc×1
	statMask []*tensor.Tensor // per gate: the mask of its statistic (nil: all weights)
	statN    []int            // per gate: the number of weights the mask selects

	// forced, if set, replaces the gates' values (see SetChoice).
	forced []float32
	// dropRNG and keep configure gate dropout (see
	// Supernet.SetGateDropout): keep < 1 closes each gate with probability
	// 1 − keep in every forward pass; with dropThrough the loss's gradient
	// still reaches a closed gate's threshold.
	dropRNG     *rand.Rand
	keep        float64
	dropThrough bool
	// last holds the gate values of the last forward pass, and lastCost
	// the same values as the cost sees them: with the statistics
	// detached, so that the cost's gradient reaches the thresholds only.
	last, lastCost []*autograd.Var
	// lastMargin holds the margins s − t of the last forward pass.
	lastMargin []float64
	// costOnly makes the gates constants in the forward pass (see
	// SearchConfig.CostOnly).
	costOnly bool
	// Stats holds, per gate, the gate's own statistic if it has one (the
	// LightNL ratio and stride gates, see Layer), else nil.
	Stats []*autograd.Var
	// keys caches keyLevels for the map size keysHW.
	keys   []*tensor.Tensor
	keysHW [2]int
}

// newLayer builds the layer of spec l with activation act and batch norm
// options bn, drawing weights from rng.
func newLayer(rng *rand.Rand, l LayerSpec, act models.Activation, bn nn.BatchNormConfig) *Layer {
	hidden := hiddenWidths(l.In, l.Expansions)
	ch := hidden[len(hidden)-1]
	kmax := l.Kernels[len(l.Kernels)-1]
	m := &Layer{Conv: nn.NewSequential(), Spec: l, Gates: gateLayout(l), act: act}
	m.skip = l.Stride == 1 && l.In == l.Out
	if l.Expansions[len(l.Expansions)-1] != 1 {
		m.Expand = models.NewConvBNAct(rng, l.In, ch, 1, [2]int{1, 1}, 1, bn, act.Module())
		m.Conv.Append(m.Expand)
	}
	m.Depthwise = models.NewConvBNAct(rng, ch, ch, kmax, [2]int{l.Stride, l.Stride}, ch, bn, act.Module())
	m.Conv.Append(m.Depthwise)
	if l.SE > 0 {
		reduced := max(1, int(math.Round(float64(l.In)*l.SE)))
		m.SE = nn.NewSqueezeExcite(rng, ch, reduced, act.Module(), nn.NewSigmoid())
		m.Conv.Append(m.SE)
	}
	m.Project = nn.NewConv2d(rng, ch, l.Out, 1, nn.ConvConfig{})
	m.ProjectBN = nn.NewBatchNorm2d(l.Out, bn)
	m.Conv.Append(m.Project)
	m.Conv.Append(m.ProjectBN)
	if l.HasNonLocal() {
		m.NonLocal = lightnl.New(rng, l.Out, lightnl.Config{Ratio: l.NonLocalRatios[len(l.NonLocalRatios)-1], Stride: 1, BN: bn})
		m.Conv.Append(m.NonLocal)
		for _, rc := range channelLevels(nonLocalWidths(l.Out, l.NonLocalRatios)) {
			m.queries = append(m.queries, rc.Reshape(1, rc.Len(), 1))
		}
	}
	m.AddChild("conv", m.Conv)

	m.kernel = ringLevels(l.Kernels)
	m.channel = channelLevels(hidden)
	k0 := l.Kernels[0]
	var nlInit float32
	if m.NonLocal != nil {
		nlInit = float32(rmsOf(m.NonLocal.Conv.Weight.Value))
	}
	for _, g := range m.Gates {
		t := autograd.Param(tensor.Zeros(1))
		m.Thresholds = append(m.Thresholds, m.RegisterParam(g.Name, t))
		var own *autograd.Var
		if g.Kind == RatioGate || g.Kind == StrideGate {
			own = m.RegisterParam(statName(g), autograd.Param(tensor.FromSlice([]float32{nlInit}, 1)))
		}
		m.Stats = append(m.Stats, own)
		var mask *tensor.Tensor
		n := 0
		switch g.Kind {
		case KernelGate:
			mask = m.kernel[g.Index+1]
			n = ch * int(sumOf(mask))
		case ExpandGate, KeepGate:
			group := 0
			if g.Kind == ExpandGate {
				group = g.Index + 1
			}
			mask = tensor.Mul(m.channel[group].Reshape(ch, 1, 1, 1), m.kernel[0])
			n = int(sumOf(m.channel[group])) * k0 * k0
		default:
			n = m.NonLocal.Conv.Weight.Value.Len()
		}
		m.statMask = append(m.statMask, mask)
		m.statN = append(m.statN, n)
	}
	return m
}

// statName returns the parameter name of gate g's own statistic:
// "s_ratio0p25" for the threshold "t_ratio0p25".
func statName(g Gate) string { return "s_" + g.Name[len("t_"):] }

// rmsOf returns the root mean square of t's elements.
func rmsOf(t *tensor.Tensor) float64 {
	var s float64
	for _, v := range t.Data() {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(t.Len()))
}

func sumOf(t *tensor.Tensor) float64 {
	var s float64
	for _, v := range t.Data() {
		s += float64(v)
	}
	return s
}

// Statistics returns the current value of every gate's statistic, in the
// order of Gates.
func (m *Layer) Statistics() []float64 {
	var out []float64
	autograd.NoGrad(func() {
		for _, s := range m.statistics() {
			out = append(out, float64(s.Value.Data()[0]))
		}
	})
	return out
}

// statistics returns the gates' statistics as Vars of shape [1].
func (m *Layer) statistics() []*autograd.Var {
	if len(m.Gates) == 0 {
		return nil
	}
	w := m.Depthwise.Conv.Weight
	sq := autograd.Mul(w, w)
	var nlStat *autograd.Var
	stats := make([]*autograd.Var, len(m.Gates))
	for i, g := range m.Gates {
		switch g.Kind {
		case KernelGate, ExpandGate, KeepGate:
			stats[i] = rms(sq, m.statMask[i], m.statN[i])
		case RatioGate, StrideGate:
			stats[i] = m.Stats[i]
		default:
			if nlStat == nil {
				v := m.NonLocal.Conv.Weight
				s := autograd.Sum(autograd.Mul(v, v), false)
				nlStat = autograd.Reshape(autograd.Sqrt(autograd.AddScalar(autograd.MulScalar(s, float32(1/float64(m.statN[i]))), 1e-12)), 1)
			}
			stats[i] = nlStat
		}
	}
	return stats
}

// Margins returns s − t for every gate, in the order of Gates: a gate is
// open while its margin is positive.
func (m *Layer) Margins() []float64 {
	s := m.Statistics()
	for i, t := range m.Thresholds {
		s[i] -= float64(t.Value.Data()[0])
	}
	return s
}

// gates returns the gates' values d = 1[s − t > 0] (shape [1] each), with
// the straight-through gradient of autograd.Indicator, or the forced
// values of SetChoice; gate dropout multiplies them by its 0/1 draws (or,
// in the search's dropout, sets a drawn gate to 0 with the gradient of
// the undropped value, and leaves its cost alone). The
// second result holds the same values for the cost, computed with the
// statistics detached: the cost's gradient reaches t, never the weights
// behind s.
func (m *Layer) gates() (ds, cost []*autograd.Var) {
	ds = make([]*autograd.Var, len(m.Gates))
	cost = make([]*autograd.Var, len(m.Gates))
	if m.forced != nil {
		for i, v := range m.forced {
			ds[i] = autograd.Const(tensor.FromSlice([]float32{v}, 1))
			cost[i] = ds[i]
		}
		return ds, cost
	}
	m.lastMargin = make([]float64, len(m.Gates))
	for i, s := range m.statistics() {
		cost[i] = autograd.Indicator(autograd.Sub(s.Detach(), m.Thresholds[i]))
		if m.costOnly {
			ds[i] = cost[i].Detach()
		} else {
			ds[i] = autograd.Indicator(autograd.Sub(s, m.Thresholds[i]))
		}
		m.lastMargin[i] = float64(s.Value.Data()[0] - m.Thresholds[i].Value.Data()[0])
		if m.dropRNG != nil && m.keep < 1 && m.Training() && m.dropRNG.Float64() >= m.keep {
			if m.dropThrough {
				ds[i] = autograd.Sub(ds[i], ds[i].Detach())
				continue
			}
			zero := autograd.Const(tensor.Zeros(1))
			ds[i], cost[i] = autograd.Mul(ds[i], zero), autograd.Mul(cost[i], zero)
		}
	}
	return ds, cost
}

// byKind returns the gate values of one kind, in nesting order.
func (m *Layer) byKind(ds []*autograd.Var, k GateKind) []*autograd.Var {
	var out []*autograd.Var
	for i, g := range m.Gates {
		if g.Kind == k {
			out = append(out, ds[i])
		}
	}
	return out
}

// Forward computes the layer for x (N×In×H×W) with the gates' current
// values (see Layer); it remembers those values for [Supernet.Cost].
func (m *Layer) Forward(x *autograd.Var) *autograd.Var {
	ds, cost := m.gates()
	m.last, m.lastCost = ds, cost
	h := x
	if m.Expand != nil {
		h = m.Expand.Forward(x)
	}
	dw := m.Depthwise
	w := dw.Conv.Weight
	if len(m.kernel) > 1 {
		w = autograd.Mul(w, nestedMask(m.kernel, m.byKind(ds, KernelGate)))
	}
	h = autograd.Conv2D(h, w, nil, dw.Conv.Params)
	h = bnAct(dw.BN, h, m.act)
	if len(m.channel) > 1 {
		cm := nestedMask(m.channel, m.byKind(ds, ExpandGate))
		h = autograd.Mul(h, autograd.Reshape(cm, 1, m.channel[0].Len(), 1, 1))
	}
	if m.SE != nil {
		h = m.SE.Forward(h)
	}
	p := m.ProjectBN.Forward(m.Project.Forward(h))
	if nl := m.NonLocal; nl != nil {
		s := p.Shape()
		a := nestedMask(m.queries, m.byKind(ds, RatioGate))
		if m.keys == nil || m.keysHW != [2]int{s[2], s[3]} {
			m.keys, m.keysHW = keyLevels(s[2], s[3], m.Spec.NonLocalStrides), [2]int{s[2], s[3]}
		}
		b := nestedMask(m.keys, m.byKind(ds, StrideGate))
		y := lightnl.Attention(p, lightnl.AttentionConfig{
			Reduced: nl.Reduced, Order: nl.OrderFor(s[2], s[3]), KeyScale: autograd.Mul(a, b),
		})
		d := m.byKind(ds, NonLocalGate)[0]
		o := nl.BN.ForwardAffine(nl.Conv.Forward(y), autograd.Mul(nl.BN.Weight, d), autograd.Mul(nl.BN.Bias, d))
		p = autograd.Add(p, o)
	}
	if !m.skip {
		return p
	}
	if keep := m.byKind(ds, KeepGate); len(keep) > 0 {
		p = autograd.Mul(p, keep[0])
	}
	return autograd.Add(x, p)
}

// bnAct returns act(bn(x)), with ReLU and ReLU6 fused into the batch norm.
func bnAct(bn *nn.BatchNorm2d, x *autograd.Var, act models.Activation) *autograd.Var {
	switch act {
	case models.ReLU:
		return bn.ForwardClamp(x, 0, float32(math.Inf(1)))
	case models.ReLU6:
		return bn.ForwardClamp(x, 0, 6)
	case models.Swish:
		return autograd.Swish(bn.Forward(x))
	case models.HardSwish:
		return autograd.HardSwish(bn.Forward(x))
	}
	panic(fmt.Sprintf("nas: activation %v", act))
}

// SetChoice fixes the gates to the values that select c, whatever the
// statistics and thresholds say, until ClearChoice; no gradient reaches
// the thresholds meanwhile. It returns an error if c is not a
// configuration of the layer.
func (m *Layer) SetChoice(c Choice) error {
	bits, ok := bitsOf(m.Spec, c)
	if !ok {
		return fmt.Errorf("nas: layer %d: %+v is not one of its configurations", m.Spec.Index, c)
	}
	m.forced = make([]float32, len(m.Gates))
	for i := range m.forced {
		if bits&(1<<i) != 0 {
			m.forced[i] = 1
		}
	}
	return nil
}

// ClearChoice undoes SetChoice: the gates follow their thresholds again.
func (m *Layer) ClearChoice() { m.forced = nil }

// Choice returns the configuration the gates select now.
func (m *Layer) Choice() Choice {
	var bits uint
	for i, mg := range m.Margins() {
		if mg > 0 {
			bits |= 1 << i
		}
	}
	if m.forced != nil {
		bits = 0
		for i, v := range m.forced {
			if v != 0 {
				bits |= 1 << i
			}
		}
	}
	return configOf(m.Spec, bits)
}

// Describe returns "SearchLayer" and the layer's widths and stride.
func (m *Layer) Describe() (name, extra string) {
	return "SearchLayer", fmt.Sprintf("%d, %d, stride=%d", m.Spec.In, m.Spec.Out, m.Spec.Stride)
}

// String returns nn.Format(m).
func (m *Layer) String() string { return nn.Format(m) }
