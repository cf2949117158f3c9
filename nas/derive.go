package nas

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autonl-go/autonl/models"
	"github.com/autonl-go/autonl/nn"
)

// blockSpec returns the arch-string block of layer l in configuration c
// (one layer, Repeats 1).
func blockSpec(l LayerSpec, c Choice) models.BlockSpec {
	return models.BlockSpec{
		Repeats: 1, Kernel: c.Kernel, Strides: [2]int{l.Stride, l.Stride}, Expand: c.Expansion,
		In: l.In, Out: l.Out, SE: l.SE, NonLocal: c.NonLocal,
	}
}

// Derived is a network of a search space: the layers that a set of layer
// configurations keeps, as arch strings, with what models.Build needs to
// build it and its analytic cost.
type Derived struct {
	// Choices are the configurations of all layers of the space, dropped
	// ones included.
	Choices []Choice
	// Blocks are the kept layers as arch-string blocks, one per layer,
	// with the widths, strides and squeeze-excite ratios of the space
	// (width multiplier and SmallInput applied).
	Blocks []models.BlockSpec
	// Build configures models.Build for the blocks: stem, head,
	// classifier, activation, batch norm (width multiplier 1: the blocks'
	// widths are final).
	Build models.Config
	// Net is the stem and head for models.CountArch.
	Net models.NetConfig
	// Cost is models.CountArch(Blocks, Net).
	Cost models.NetCost
}

// Arch returns the blocks as arch strings, one per line, after a comment
// line naming the input and the stem and head.
func (d Derived) Arch() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %d×%d×%d input, stem %d stride %d, head %d, %d classes, %s; %d MACs, %d parameters\n",
		d.Net.InputChannels, d.Net.InputSize, d.Net.InputSize, d.Net.StemWidth, d.Net.StemStride, d.Net.HeadWidth,
		d.Net.Classes, activationName(d.Build.Activation), d.Cost.Total.MACs, d.Cost.Total.Params)
	sb.WriteString(models.FormatArch(d.Blocks))
	return sb.String()
}

func activationName(a models.Activation) string {
	b, err := a.MarshalText()
	if err != nil {
		return a.String()
	}
	return string(b)
}

// NewModel builds the derived network as a standalone models.Net with
// fresh weights drawn from rng.
func (d Derived) NewModel(rng *rand.Rand) (*models.Net, error) {
	return models.Build(d.Blocks, d.Build, rng)
}

// Derive returns the network of the supernet's space that the
// configurations cs select: n.Space.Derive(cs).
func (n *Supernet) Derive(cs []Choice) (Derived, error) { return n.Space.Derive(cs) }

// Derive returns the network of the space that the configurations cs
// select, one per layer of the space (see Supernet.Choices).
func (s Space) Derive(cs []Choice) (Derived, error) {
	specs, err := s.Layers()
	if err != nil {
		return Derived{}, err
	}
	if len(cs) != len(specs) {
		return Derived{}, fmt.Errorf("nas: Derive: %d layer configurations for %d layers", len(cs), len(specs))
	}
	d := Derived{Choices: append([]Choice(nil), cs...), Build: s.buildConfig(), Net: s.netConfig()}
	for i, l := range specs {
		if _, ok := bitsOf(l, cs[i]); !ok {
			return Derived{}, fmt.Errorf("nas: Derive: %s is not a configuration of layer %d", cs[i], i)
		}
		if cs[i].Keep {
			d.Blocks = append(d.Blocks, blockSpec(l, cs[i]))
		}
	}
	cost, err := models.CountArch(d.Blocks, d.Net)
	if err != nil {
		return Derived{}, err
	}
	d.Cost = cost
	return d, nil
}

// netConfig returns the stem and head of the space for models.CountArch.
func (s Space) netConfig() models.NetConfig {
	return models.NetConfig{
		InputSize: s.InputSize, InputChannels: s.InputChannels,
		StemWidth: s.stemWidth(), StemStride: s.stemStride(),
		HeadWidth: s.headWidth(), Classes: s.Classes,
	}
}

// buildConfig returns the models.Build configuration of derived networks.
func (s Space) buildConfig() models.Config {
	dropout := s.Dropout
	if dropout == 0 {
		dropout = models.NoDropout
	}
	return models.Config{
		Name: "Searched", InputChannels: s.InputChannels, StemWidth: s.stemWidth(), StemStride: s.stemStride(),
		HeadWidth: s.headWidth(), Classes: s.Classes, Dropout: dropout, Activation: s.Activation,
		SEGate: models.Sigmoid, BN: s.bnOptions(), WidthMultiplier: 1, Init: models.MnasNetInit,
	}
}

// Inherit builds the derived network d of this supernet (as d.NewModel
// does) and gives it the supernet's weights and batch norm statistics:
// each of its tensors is the part of the supernet's tensor of the same name
// that its configuration uses (the first channels of nested channel
// groups, the centred taps of a depthwise superkernel). With the gates set
// to d.Choices the supernet computes what the inheriting network computes,
// in training and in evaluation mode, which the tests check; a search can
// therefore fine-tune its result instead of training it from scratch.
func (n *Supernet) Inherit(d Derived, rng *rand.Rand) (*models.Net, error) {
	net, err := d.NewModel(rng)
	if err != nil {
		return nil, err
	}
	src := map[string]*tensorRef{}
	for _, t := range nn.StateDict(n) {
		src[t.Name] = &tensorRef{shape: t.Shape, data: t.Data}
	}
	// features.<k> of the derived network is features.<layer+1> of the
	// supernet, where layer is the k-th kept layer; the head follows.
	featureOf := map[int]int{0: 0}
	k := 1
	for i, c := range d.Choices {
		if c.Keep {
			featureOf[k] = i + 1
			k++
		}
	}
	featureOf[k] = len(n.Layers) + 1
	for _, t := range nn.StateDict(net) {
		name := t.Name
		if rest, ok := strings.CutPrefix(name, "features."); ok {
			idx, tail, _ := strings.Cut(rest, ".")
			var fk int
			if _, err := fmt.Sscan(idx, &fk); err != nil {
				return nil, fmt.Errorf("nas: Inherit: unexpected parameter %q", name)
			}
			name = fmt.Sprintf("features.%d.%s", featureOf[fk], tail)
		}
		s, ok := src[name]
		if !ok {
			return nil, fmt.Errorf("nas: Inherit: the supernet has no tensor %q for %q", name, t.Name)
		}
		if err := copyCorner(t.Data, t.Shape, s.data, s.shape); err != nil {
			return nil, fmt.Errorf("nas: Inherit: %s: %v", t.Name, err)
		}
	}
	return net, nil
}

type tensorRef struct {
	shape []int
	data  []float32
}

// copyCorner copies into dst (shape ds) the part of src (shape ss) that a
// smaller configuration uses: the leading indices of every axis, except
// the last two axes of a 4-D tensor, where the centred indices (the taps
// of a smaller kernel in a superkernel).
func copyCorner(dst []float32, ds []int, src []float32, ss []int) error {
	if len(ds) != len(ss) {
		return fmt.Errorf("shape %v, supernet's %v", ds, ss)
	}
	off := make([]int, len(ds))
	for i := range ds {
		if ds[i] > ss[i] {
			return fmt.Errorf("shape %v larger than the supernet's %v", ds, ss)
		}
		if len(ds) == 4 && i >= 2 {
			if (ss[i]-ds[i])%2 != 0 {
				return fmt.Errorf("kernel %v not centred in the supernet's %v", ds, ss)
			}
			off[i] = (ss[i] - ds[i]) / 2
		}
	}
	idx := make([]int, len(ds))
	for j := range dst {
		// idx is the multi-index of dst[j]; find src's flat index.
		f := 0
		for i := range ds {
			f = f*ss[i] + idx[i] + off[i]
		}
		dst[j] = src[f]
		for i := len(ds) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < ds[i] {
				break
			}
			idx[i] = 0
		}
	}
	return nil
}
