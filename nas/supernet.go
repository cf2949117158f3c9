package nas

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autonl-go/autonl/autograd"
	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/tensor"
)

// Supernet is the network a search trains: the stem, the searchable
// [Layer]s of a [Space], the head and the classifier, with the layout and
// names of models.Net ("features.0" the stem, "features.1" … the layers,
// then the head; "classifier.0" dropout, "classifier.1" the linear layer).
// Its forward pass computes, with the gates' current values, what the
// derived network (see [Supernet.Derive]) computes, at the cost of the
// largest network of the space; [Supernet.Cost] is that derived network's
// MACs, differentiable in the gates.
type Supernet struct {
	nn.Base
	// Features and Classifier are the two children.
	Features   *nn.Sequential
	Classifier *nn.Sequential
	// Layers are the searchable layers, features.1 to features.L.
	Layers []*Layer
	// Space is the search space.
	Space Space

	tables []costTable
	fixed  int64 // MACs of the stem, head, pooling and classifier
}

// NewSupernet builds the supernet of space s, drawing its weights from rng
// with the MnasNet initialization (models.MnasNetInit; the LightNL blocks
// keep their own: γ = 0, so each starts as the identity). Every threshold
// starts at 0, so every gate starts open: the largest network.
func NewSupernet(s Space, rng *rand.Rand) (*Supernet, error) {
	specs, err := s.Layers()
	if err != nil {
		return nil, err
	}
	bn := s.bnOptions()
	n := &Supernet{Features: nn.NewSequential(), Classifier: nn.NewSequential(), Space: s.Clone()}
	stride := s.stemStride()
	n.Features.Append(models.NewConvBNAct(rng, s.InputChannels, s.stemWidth(), 3, [2]int{stride, stride}, 1, bn, s.Activation.Module()))
	for _, l := range specs {
		layer := newLayer(rng, l, s.Activation, bn)
		n.Layers = append(n.Layers, layer)
		n.Features.Append(layer)
		n.tables = append(n.tables, newCostTable(l))
	}
	last := specs[len(specs)-1]
	head := s.headWidth()
	n.Features.Append(models.NewConvBNAct(rng, last.Out, head, 1, [2]int{1, 1}, 1, bn, s.Activation.Module()))
	n.Classifier.Append(nn.NewDropout(s.Dropout, rng))
	n.Classifier.Append(nn.NewLinear(rng, head, s.Classes, true))
	n.AddChild("features", n.Features)
	n.AddChild("classifier", n.Classifier)
	models.InitWeights(rng, n, models.MnasNetInit, func(m nn.Module) bool {
		_, ok := m.(*lightnl.Block)
		return ok
	})

	cfg := s.netConfig()
	out := last.Output()
	_, stemCost := models.ConvCost(models.Shape{C: s.InputChannels, H: s.InputSize, W: s.InputSize}, cfg.StemWidth, 3, [2]int{stride, stride}, 1, false)
	_, headCost := models.ConvCost(out, head, 1, [2]int{1, 1}, 1, false)
	n.fixed = stemCost.MACs + headCost.MACs + models.GlobalPoolCost(models.Shape{C: head, H: out.H, W: out.W}).MACs +
		models.LinearCost(head, s.Classes, true).MACs
	return n, nil
}

// Forward returns the logits, N×Classes, for images x,
// N×InputChannels×H×W, computed with the gates' current values.
func (n *Supernet) Forward(x *autograd.Var) *autograd.Var {
	f := n.Features.Forward(x)
	y := autograd.GlobalAvgPool2D(f)
	s := y.Shape()
	return n.Classifier.Forward(autograd.Reshape(y, s[0], s[1]))
}

// Describe returns "Supernet" and "".
func (n *Supernet) Describe() (name, extra string) { return "Supernet", "" }

// String returns nn.Format(n).
func (n *Supernet) String() string { return nn.Format(n) }

// Thresholds returns the gates' thresholds under their nn.NamedParams
// names, such as "features.3.t_kernel5", in the order of the layers and
// their Gates.
func (n *Supernet) Thresholds() []nn.Param { return n.params(isThreshold) }

// Architecture returns the parameters of the architecture: the
// thresholds and the gates' own statistics (Layer.Stats, such as
// "features.3.s_ratio0p25"), which the search trains with the thresholds'
// optimizer.
func (n *Supernet) Architecture() []nn.Param { return n.params(isArch) }

// Weights returns every parameter that is not one of Architecture.
func (n *Supernet) Weights() []nn.Param {
	return n.params(func(name string) bool { return !isArch(name) })
}

// params returns the parameters of nn.NamedParams(n) whose names keep
// accepts, in that order.
func (n *Supernet) params(keep func(name string) bool) []nn.Param {
	var out []nn.Param
	for _, p := range nn.NamedParams(n) {
		if keep(p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// StatisticWeights reports, for each of Weights, whether a gate's
// statistic is computed from it: the depthwise superkernels and the
// LightNL blocks' depthwise output weights. The search exempts these from
// weight decay, which would otherwise close gates by shrinking their
// statistics whatever the loss says.
func (n *Supernet) StatisticWeights() map[*autograd.Var]bool {
	out := map[*autograd.Var]bool{}
	for _, l := range n.Layers {
		if len(l.Gates) == 0 {
			continue
		}
		for _, g := range l.Gates {
			switch g.Kind {
			case KernelGate, ExpandGate, KeepGate:
				out[l.Depthwise.Conv.Weight] = true
			case NonLocalGate:
				out[l.NonLocal.Conv.Weight] = true
			}
		}
	}
	return out
}

// SetNonLocalGamma sets the γ of the batch norm that ends every LightNL
// block to gamma (0 after NewSupernet: each block starts as the
// identity), as autonl train's -nl-gamma does for a standalone network:
// with γ = 0 no gradient of the loss reaches a LightNL gate at the start
// of a search, since the gate multiplies the block's output.
func (n *Supernet) SetNonLocalGamma(gamma float32) {
	for _, l := range n.Layers {
		if l.NonLocal != nil {
			l.NonLocal.BN.Weight.Value.Fill(gamma)
		}
	}
}

// setCostOnly makes the gates constants in the forward pass, so that only
// the cost term moves the thresholds (SearchConfig.CostOnly).
func (n *Supernet) setCostOnly(on bool) {
	for _, l := range n.Layers {
		l.costOnly = on
	}
}

func isThreshold(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return strings.HasPrefix(name[i+1:], "t_")
}

func isArch(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return isThreshold(name) || strings.HasPrefix(name[i+1:], "s_")
}

// Choices returns the configuration that each layer's gates select now.
func (n *Supernet) Choices() []Choice {
	cs := make([]Choice, len(n.Layers))
	for i, l := range n.Layers {
		cs[i] = l.Choice()
	}
	return cs
}

// SetChoices fixes every layer's gates to cs (see Layer.SetChoice).
func (n *Supernet) SetChoices(cs []Choice) error {
	if len(cs) != len(n.Layers) {
		return fmt.Errorf("nas: %d layer configurations for %d layers", len(cs), len(n.Layers))
	}
	for i, l := range n.Layers {
		if err := l.SetChoice(cs[i]); err != nil {
			return err
		}
	}
	return nil
}

// growNetwork returns the choices of the network that the growing steps of
// a search train (SearchConfig.GrowEpochs): the shallowest and narrowest
// network of the space with every LightNL block it can have, at its
// largest ratio and finest stride (every gate closed but the LightNL
// gates).
func (n *Supernet) growNetwork() []Choice {
	cs := make([]Choice, len(n.Layers))
	for i, l := range n.Layers {
		var bits uint
		for j, g := range l.Gates {
			if g.Kind == NonLocalGate || g.Kind == RatioGate || g.Kind == StrideGate {
				bits |= 1 << j
			}
		}
		cs[i] = configOf(l.Spec, bits)
	}
	return cs
}

// ClearChoices undoes SetChoices.
func (n *Supernet) ClearChoices() {
	for _, l := range n.Layers {
		l.ClearChoice()
	}
}

// SetGateDropout makes the next forward passes close each gate with
// probability 1 − keep, independently per gate and per pass, drawing from
// rng, as Single-Path NAS does while it warms up the weights; keep = 1
// turns it off. Closed gates still select valid networks (a closed gate
// nests the gates under it), so every pass trains a random subnetwork.
func (n *Supernet) SetGateDropout(rng *rand.Rand, keep float64) {
	n.setDropout(rng, keep, false)
}

// SetSearchDropout is SetGateDropout for the architecture search: a closed
// gate's value is 0 in the forward pass, but the loss's straight-through
// gradient still reaches its threshold, evaluated with the decision
// closed, and the cost still sees the gate as its threshold sets it. The
// gradient of a gate multiplying weights the network has co-adapted with,
// read only with the gate open, is the gradient of the scale of those
// weights, which vanishes as they converge whatever the decision is worth;
// read with the decision closed too, its mean over the draws approaches
// the change of the loss that the decision makes, L(open) − L(closed)
// (exactly for a loss quadratic in the gate and keep = 1/2: the
// trapezoid rule on L′).
func (n *Supernet) SetSearchDropout(rng *rand.Rand, keep float64) {
	n.setDropout(rng, keep, true)
}

func (n *Supernet) setDropout(rng *rand.Rand, keep float64, through bool) {
	for _, l := range n.Layers {
		l.dropRNG, l.keep, l.dropThrough = rng, keep, through
	}
}

// Cost returns the MACs of the network that the gates of the last forward
// pass select, as a scalar Var ([1]) whose gradient reaches every gate
// value and through them the thresholds and statistics. It panics if no
// forward pass has run.
//
// The cost of a network of the space is a function of the gate bits,
// C(d) = fixed + Σ_layers C_l(d_l), where C_l is the layer's count by the
// rules of models.CountArch (0 if the layer is dropped). Cost evaluates the
// multilinear extension of each C_l,
//
//	C_l(d) = Σ_{v ∈ {0,1}^g} C_l(v) · Π_i (v_i ? d_i : 1 − d_i)
//
// which equals C_l at every bit vector, so with hard gates the value is
// exactly the derived network's MACs (up to float32 rounding of the sum),
// and whose derivative ∂C_l/∂d_i is, at a bit vector, C_l with gate i open
// minus C_l with it closed: the MACs that the decision adds.
func (n *Supernet) Cost() *autograd.Var {
	var gates []*autograd.Var
	for _, l := range n.Layers {
		if len(l.Gates) > 0 && l.lastCost == nil {
			panic("nas: Supernet.Cost: no forward pass has run")
		}
		gates = append(gates, l.lastCost...)
	}
	return n.costOf(gates)
}

// costOf returns the cost Var for the gate values gates (all layers' gates
// in order, shape [1] each).
func (n *Supernet) costOf(gates []*autograd.Var) *autograd.Var {
	vals := make([]float64, len(gates))
	for i, d := range gates {
		vals[i] = float64(d.Value.Data()[0])
	}
	total := float64(n.fixed)
	off := 0
	for i, l := range n.Layers {
		g := len(l.Gates)
		total += n.tables[i].value(vals[off : off+g])
		off += g
	}
	return autograd.Function("nas.Cost", tensor.FromSlice([]float32{float32(total)}, 1), gates, func(grad *tensor.Tensor) []*tensor.Tensor {
		out := make([]*tensor.Tensor, len(gates))
		gv := float64(grad.Data()[0])
		off := 0
		for i, l := range n.Layers {
			g := len(l.Gates)
			for j := range g {
				if gates[off+j].RequiresGrad() {
					out[off+j] = tensor.FromSlice([]float32{float32(gv * n.tables[i].partial(vals[off:off+g], j))}, 1)
				}
			}
			off += g
		}
		return out
	})
}

// MACs returns the MACs of the network that the configurations cs select,
// fixed + Σ C_l from the cost tables that Cost uses. It equals
// Derive(cs).Cost.Total.MACs, and the MACs that models.Profile counts in the
// network that Derive builds.
func (n *Supernet) MACs(cs []Choice) int64 {
	total := n.fixed
	for i, l := range n.Layers {
		bits, ok := bitsOf(l.Spec, cs[i])
		if !ok {
			panic(fmt.Sprintf("nas: Supernet.MACs: %+v is not a configuration of layer %d", cs[i], i))
		}
		total += n.tables[i].macs[bits]
	}
	return total
}

// costTable holds the MACs of one layer for every setting of its gate
// bits.
type costTable struct {
	macs []int64
}

func newCostTable(l LayerSpec) costTable {
	g := len(gateLayout(l))
	t := costTable{macs: make([]int64, 1<<g)}
	for v := range t.macs {
		c := configOf(l, uint(v))
		if !c.Keep {
			continue
		}
		cost, _ := models.MBConvCost(blockSpec(l, c), l.Input)
		t.macs[v] = cost.MACs
	}
	return t
}

// value returns the multilinear extension of the table at d.
func (t costTable) value(d []float64) float64 {
	var sum float64
	for v, c := range t.macs {
		w := float64(c)
		for i, di := range d {
			if v&(1<<i) != 0 {
				w *= di
			} else {
				w *= 1 - di
			}
		}
		sum += w
	}
	return sum
}

// partial returns ∂value/∂d_j at d.
func (t costTable) partial(d []float64, j int) float64 {
	var sum float64
	for v, c := range t.macs {
		w := float64(c)
		for i, di := range d {
			switch {
			case i == j && v&(1<<i) == 0:
				w = -w
			case i == j:
			case v&(1<<i) != 0:
				w *= di
			default:
				w *= 1 - di
			}
		}
		sum += w
	}
	return sum
}
