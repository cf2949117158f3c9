package models

import (
	"fmt"
	"strings"

	"github.com/autonl-go/autonl/nn"
)

// Activation names an element-wise nonlinearity of a network: the
// activation of its convolutions, or the gate of its squeeze-excite units.
// The zero value, DefaultActivation, means "the default of whatever is
// being configured" (see [Config] and [MBConvConfig]).
type Activation int

const (
	// DefaultActivation leaves the choice to the builder.
	DefaultActivation Activation = iota
	// ReLU is max(x, 0) (MnasNet, Single-Path NAS).
	ReLU
	// ReLU6 is min(max(x, 0), 6) (MobileNetV2).
	ReLU6
	// Swish is x·σ(x), PyTorch's SiLU (AutoNL).
	Swish
	// HardSwish is x·ReLU6(x + 3)/6 (MobileNetV3).
	HardSwish
	// Sigmoid is σ(x), the usual squeeze-excite gate.
	Sigmoid
	// HardSigmoid is ReLU6(x + 3)/6, MobileNetV3's squeeze-excite gate.
	HardSigmoid
)

// String returns the activation's name as PyTorch prints its module
// ("ReLU", "ReLU6", "SiLU", "Hardswish", "Sigmoid", "Hardsigmoid"), or
// "default".
func (a Activation) String() string {
	if a == DefaultActivation || a.valid() {
		return activations[a].torchName
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// activations holds, for each Activation, the name PyTorch prints its
// module under and the constructor of its layer (none for
// DefaultActivation).
var activations = [...]struct {
	torchName string
	module    func() nn.Module
}{
	DefaultActivation: {"default", nil},
	ReLU:              {"ReLU", func() nn.Module { return nn.NewReLU() }},
	ReLU6:             {"ReLU6", func() nn.Module { return nn.NewReLU6() }},
	Swish:             {"SiLU", func() nn.Module { return nn.NewSwish() }},
	HardSwish:         {"Hardswish", func() nn.Module { return nn.NewHardSwish() }},
	Sigmoid:           {"Sigmoid", func() nn.Module { return nn.NewSigmoid() }},
	HardSigmoid:       {"Hardsigmoid", func() nn.Module { return nn.NewHardSigmoid() }},
}

// valid reports whether a names a nonlinearity (DefaultActivation does not).
func (a Activation) valid() bool { return a > DefaultActivation && int(a) < len(activations) }

// Module returns a new layer computing a. It panics for DefaultActivation
// and for values that are not one of the constants.
func (a Activation) Module() nn.Module {
	if !a.valid() {
		panic(fmt.Sprintf("models: Activation.Module: %v is not an activation", a))
	}
	return activations[a].module()
}

// or returns a, or def if a is DefaultActivation.
func (a Activation) or(def Activation) Activation {
	if a == DefaultActivation {
		return def
	}
	return a
}

// activationNames are the names ParseActivation accepts, lower case, with
// the activation each names; the first name of each is the one
// MarshalText writes.
var activationNames = []struct {
	name string
	act  Activation
}{
	{"relu", ReLU}, {"relu6", ReLU6}, {"swish", Swish}, {"silu", Swish},
	{"hardswish", HardSwish}, {"hswish", HardSwish},
	{"sigmoid", Sigmoid}, {"hardsigmoid", HardSigmoid}, {"hsigmoid", HardSigmoid},
}

// ParseActivation returns the activation named s, case-insensitively: relu,
// relu6, swish (or silu), hardswish (or hswish), sigmoid, hardsigmoid (or
// hsigmoid); the names String prints are among them. Its error has no
// package prefix, for callers to say where the name came from.
func ParseActivation(s string) (Activation, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, n := range activationNames {
		if n.name == l {
			return n.act, nil
		}
	}
	return DefaultActivation, fmt.Errorf("unknown activation %q; want relu, relu6, swish, hardswish, sigmoid or hardsigmoid", s)
}

// MarshalText writes the activation's name as ParseActivation reads it:
// "relu", "relu6", "swish", "hardswish", "sigmoid", "hardsigmoid" or
// "default".
func (a Activation) MarshalText() ([]byte, error) {
	if a == DefaultActivation {
		return []byte("default"), nil
	}
	for _, n := range activationNames {
		if n.act == a {
			return []byte(n.name), nil
		}
	}
	return nil, fmt.Errorf("models: %v is not an activation", a)
}

// UnmarshalText sets a to the activation named by text (see
// ParseActivation), or to DefaultActivation for "default".
func (a *Activation) UnmarshalText(text []byte) error {
	if string(text) == "default" {
		*a = DefaultActivation
		return nil
	}
	v, err := ParseActivation(string(text))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
