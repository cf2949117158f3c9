package models

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autonl-go/autonl/lightnl"
	"github.com/autonl-go/autonl/nn"
	"github.com/autonl-go/autonl/safetensors"
)

// SpecKey is the metadata key under which files that carry a network's
// weights (exported state dicts, ONNX models) store its [Spec] as JSON, so
// that a reader, in Go or in Python (python/autonl_torch.py), can rebuild
// the network before loading the weights.
const SpecKey = "autonl.net"

// Spec describes a [Net] as built, completely and explicitly: the layers
// with the width multiplier and small-input strides already applied, and
// every setting of the stem, head and classifier. [BuildSpec] builds the
// same network from it (same modules, same state-dict names and shapes,
// the same function once the weights are loaded), with no rules left to
// apply, which is what a reader in another language needs. Its JSON form
// is what files store under [SpecKey].
type Spec struct {
	// Name is the network's printed name.
	Name string `json:"name"`
	// Arch holds the MBConv layers as built, one block string per layer
	// (Repeats 1), in the canonical form of [FormatArch]. The stem's
	// width is the first layer's input width.
	Arch string `json:"arch"`
	// InputChannels is the number of channels of the input images.
	InputChannels int `json:"input_channels"`
	// StemStride is the stride of the 3×3 stem conv.
	StemStride int `json:"stem_stride"`
	// HeadWidth is the output width of the head's 1×1 conv.
	HeadWidth int `json:"head_width"`
	// Classes is the number of logits.
	Classes int `json:"classes"`
	// Dropout is the dropout probability before the classifier (0: none).
	Dropout float64 `json:"dropout"`
	// Activation and SEGate are the activation and the squeeze-excite
	// gate, by PyTorch's module names ([Activation.String]: "ReLU",
	// "ReLU6", "SiLU", "Hardswish", "Sigmoid", "Hardsigmoid").
	Activation string `json:"activation"`
	SEGate     string `json:"se_gate"`
	// BNMomentum and BNEps configure every batch norm, LightNL blocks'
	// included, in PyTorch's terms.
	BNMomentum float64 `json:"bn_momentum"`
	BNEps      float64 `json:"bn_eps"`
}

// Spec returns the description of n as built. It fails if n holds modules
// that a Spec cannot describe: a LightNL block that is not lightnl's
// [lightnl.Block] (from a custom Config.LightNL factory), or one whose
// batch norm differs from the network's.
func (n *Net) Spec() (Spec, error) {
	c := n.Config
	for i, b := range n.Blocks() {
		if b.NonLocal == nil {
			continue
		}
		lb, ok := b.NonLocal.(*lightnl.Block)
		if !ok {
			return Spec{}, fmt.Errorf("models: Spec: layer features.%d has a LightNL module of type %T, which a spec cannot describe", i+1, b.NonLocal)
		}
		if lb.BN.Eps != b.ProjectBN.Eps || lb.BN.Momentum != b.ProjectBN.Momentum {
			return Spec{}, fmt.Errorf("models: Spec: the LightNL block of layer features.%d has BN eps %v, momentum %v; the network's are %v, %v",
				i+1, lb.BN.Eps, lb.BN.Momentum, b.ProjectBN.Eps, b.ProjectBN.Momentum)
		}
	}
	bn := n.Stem().BN
	return Spec{
		Name:          c.Name,
		Arch:          FormatArch(n.Layers),
		InputChannels: c.InputChannels,
		StemStride:    n.Stem().Conv.Params.Stride[0],
		HeadWidth:     n.Head().Conv.Out,
		Classes:       c.Classes,
		Dropout:       n.Dropout().P,
		Activation:    c.Activation.String(),
		SEGate:        c.SEGate.String(),
		BNMomentum:    bn.Momentum,
		BNEps:         bn.Eps,
	}, nil
}

// BuildSpec builds the network that s describes, drawing its initial
// weights from rng (they are meant to be replaced by loaded ones). Errors
// name the field that is wrong.
func BuildSpec(s Spec, rng *rand.Rand) (*Net, error) {
	layers, cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	return Build(layers, cfg, rng)
}

// Footprint returns the footprint of the network that s describes on
// inputSize×inputSize images, without building it; it checks what
// BuildSpec checks.
func (s Spec) Footprint(inputSize int) (Footprint, error) {
	layers, cfg, err := s.config()
	if err != nil {
		return Footprint{}, err
	}
	return Estimate(layers, cfg, inputSize)
}

// config checks s and returns its layers and the configuration of Build.
func (s Spec) config() ([]BlockSpec, Config, error) {
	layers, err := ParseArch(s.Arch)
	if err != nil {
		return nil, Config{}, fmt.Errorf("models: spec arch: %w", err)
	}
	for i, l := range layers {
		if l.Repeats != 1 {
			return nil, Config{}, fmt.Errorf("models: spec arch: block %d (%s) has %d repeats; a spec lists layers, each with r1", i+1, l, l.Repeats)
		}
	}
	act, err := ParseActivation(s.Activation)
	if err != nil {
		return nil, Config{}, fmt.Errorf("models: spec activation: %w", err)
	}
	gate, err := ParseActivation(s.SEGate)
	if err != nil {
		return nil, Config{}, fmt.Errorf("models: spec se_gate: %w", err)
	}
	for _, f := range []struct {
		name     string
		v, limit int
	}{{"input_channels", s.InputChannels, MaxWidth}, {"stem_stride", s.StemStride, MaxStride}, {"head_width", s.HeadWidth, MaxWidth}, {"classes", s.Classes, MaxClasses}} {
		if f.v < 1 || f.v > f.limit {
			return nil, Config{}, fmt.Errorf("models: spec %s is %d, want 1 to %d", f.name, f.v, f.limit)
		}
	}
	if !(s.Dropout >= 0 && s.Dropout < 1) {
		return nil, Config{}, fmt.Errorf("models: spec dropout is %v, want a probability in [0, 1)", s.Dropout)
	}
	if !(s.BNMomentum > 0 && s.BNMomentum <= 1) || !(s.BNEps > 0) {
		return nil, Config{}, fmt.Errorf("models: spec bn_momentum %v and bn_eps %v: want momentum in (0, 1] and a positive eps", s.BNMomentum, s.BNEps)
	}
	dropout := s.Dropout
	if dropout == 0 {
		dropout = NoDropout
	}
	return layers, Config{
		Name:          s.Name,
		InputChannels: s.InputChannels,
		StemStride:    s.StemStride,
		HeadWidth:     s.HeadWidth,
		Classes:       s.Classes,
		Dropout:       dropout,
		Activation:    act,
		SEGate:        gate,
		BN:            nn.BatchNormConfig{Momentum: s.BNMomentum, Eps: s.BNEps},
	}, nil
}

// ParseSpec decodes the JSON form of a Spec, as stored under [SpecKey].
// Unknown fields are errors, so that a newer writer's additions are not
// silently dropped.
func ParseSpec(text string) (Spec, error) {
	var s Spec
	d := json.NewDecoder(strings.NewReader(text))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("models: spec: %w", err)
	}
	return s, nil
}

// JSON returns the JSON form of s, as stored under [SpecKey].
func (s Spec) JSON() string {
	b, _ := json.Marshal(s) // a struct of strings and numbers always marshals
	return string(b)
}

// Save writes n's state dict to a .safetensors file at path, atomically,
// with its [Spec] under [SpecKey] and the given metadata besides: a file
// that [Load] (and python/autonl_torch.py's load) rebuilds the network
// from. It fails if n has no spec (see [Net.Spec]).
func Save(path string, n *Net, metadata map[string]string) error {
	spec, err := n.Spec()
	if err != nil {
		return err
	}
	meta := map[string]string{}
	for k, v := range metadata {
		meta[k] = v
	}
	meta[SpecKey] = spec.JSON()
	return nn.Save(path, n, meta)
}

// Load reads a .safetensors file that holds a network's [Spec] under
// [SpecKey] and its state dict (as [Save] and python/autonl_torch.py's
// save write them), builds the network and loads the weights strictly. It
// returns the network, in evaluation mode, and the file's metadata.
// Errors name the file and what is wrong.
func Load(path string) (*Net, map[string]string, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("models: %w", err)
	}
	text, ok := f.Metadata[SpecKey]
	if !ok {
		return nil, nil, fmt.Errorf("models: %s has no %q metadata: it does not describe a network (autonl export -format safetensors writes files that do)", path, SpecKey)
	}
	spec, err := ParseSpec(text)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	net, err := BuildSpec(spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := nn.Load(path, net, true); err != nil {
		return nil, nil, err
	}
	nn.SetTraining(net, false)
	return net, f.Metadata, nil
}
