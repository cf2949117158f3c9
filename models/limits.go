package models

import (
	"fmt"
	"strings"

	"github.com/autonl-go/autonl/internal/sysmem"
)

// Limits on the sizes of a network. Every size that comes from outside the
// program (arch strings, Config fields, network files, search spaces,
// checkpoint metadata, command-line flags) is checked against them before
// anything is allocated, so that a typo or a hostile file gives an error
// naming the value instead of a fatal out-of-memory. They are generous:
// each is several times what the largest published network of its kind
// needs, and the memory estimate ([Footprint]) is what refuses a network
// that is within every limit and still too big for the machine.
//
//   - MaxWidth, 16384 channels, bounds every width of a network: the input
//     channels, the stem, each layer's input, hidden (In·Expand) and output
//     width after the width multiplier, and the head. The widest tensors of
//     mobile networks are EfficientNet-B7's 3840-channel hidden layers and
//     2560-channel head; ResNet-style networks stay at or below 4096.
//   - MaxClasses, 131072, bounds the classifier's outputs (ImageNet-21k has
//     21841 classes).
//   - MaxKernel, 31, bounds depthwise kernel sizes (mobile networks use 3 to
//     9; RepLKNet's 31 is the largest published).
//   - MaxStride, 9, bounds the depthwise strides and the LightNL key stride
//     (networks use 1 and 2; the grammar writes strides as one digit).
//   - MaxExpand, 64, bounds expansion ratios (networks use 1 to 6); the
//     hidden width they give is bounded by MaxWidth besides.
//   - MaxRepeats, 64, bounds the repeats of one block string, and
//     MaxLayers, 1024, the layers of a whole network after unrolling
//     (EfficientNet-B7 has 55 MBConv layers).
//   - MaxInputSize, 4096 pixels, bounds the side of input images
//     (classification runs at 224 to 800).
//   - MaxWidthMultiplier, 16, bounds width multipliers (0.25 to 2 in the
//     literature).
//
// Checks against them give *[ArchError] values of kind [ErrOutOfRange] for
// arch strings, and errors naming the Config or spec field otherwise.
const (
	MaxWidth           = 1 << 14
	MaxClasses         = 1 << 17
	MaxKernel          = 31
	MaxStride          = 9
	MaxExpand          = 64
	MaxRepeats         = 64
	MaxLayers          = 1024
	MaxInputSize       = 4096
	MaxWidthMultiplier = 16
)

// Footprint is the memory a network needs, counted from its description
// without building it.
type Footprint struct {
	// Params is the number of parameters (weights, biases, BN γ and β);
	// the BN running statistics add 2 floats per BN channel, counted in
	// Buffers.
	Params, Buffers int64
	// Activations is the number of float32 values a training step keeps
	// for the backward pass of one image: three per element of every
	// counted layer output (the convolution, its batch norm and its
	// activation), plus the attention matrices of LightNL blocks.
	Activations int64
	// Peak is the largest single intermediate tensor of one image, in
	// floats: what evaluation needs at once, besides the weights.
	Peak int64
}

// Bytes returns the estimated bytes of a training step of batch images
// (weights, gradients and two optimizer moments for each parameter, and the
// activations), or with training false those of evaluation (the weights
// and four tensors of the largest intermediate size: a layer's input,
// output and the temporaries between them).
func (f Footprint) Bytes(batch int, training bool) int64 {
	const float = 4
	b := int64(batch)
	if training {
		return float * (4*f.Params + f.Buffers + b*f.Activations)
	}
	return float * (f.Params + f.Buffers + 4*b*f.Peak)
}

// Check returns nil if a training step (or evaluation) of batch images of
// the network fits in the memory this process may use, and otherwise an
// error saying what it needs and what the limit is.
func (f Footprint) Check(batch int, training bool) error {
	what := fmt.Sprintf("the network (%s parameters)", FormatCount(f.Params))
	if batch > 0 {
		verb := "evaluating"
		if training {
			verb = "training"
		}
		what = fmt.Sprintf("%s the network (%s parameters) on batches of %d", verb, FormatCount(f.Params), batch)
	}
	return sysmem.Check(f.Bytes(batch, training), what)
}

// FormatCount formats a count of parameters or multiply-adds for people:
// 1.2k, 3.45M, 6.78G, or n itself below 1,000.
func FormatCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// FootprintOf returns the footprint of the counted network n (see
// [CountArch]): it adds up the layer outputs, and for every LightNL layer the
// intermediate product of its cheaper association order.
func FootprintOf(n NetCost) Footprint {
	var f Footprint
	f.Params = n.Total.Params
	for _, l := range n.Layers {
		size := int64(l.Out.C) * int64(l.Out.H) * int64(l.Out.W)
		f.Activations += 3 * size
		f.Peak = max(f.Peak, size)
		switch {
		case strings.HasSuffix(l.Name, "lightnl"):
			// The block computes Qᵀ·K (HW×M) or V·Kᵀ (C×rC), whichever
			// costs fewer MACs: about the smaller of HW² and C².
			hw := int64(l.Out.H) * int64(l.Out.W)
			att := min(hw*hw, int64(l.Out.C)*int64(l.Out.C))
			f.Activations += att
			f.Peak = max(f.Peak, att)
		case strings.HasSuffix(l.Name, "dw"), strings.HasSuffix(l.Name, "expand"), strings.HasSuffix(l.Name, "project"), l.Name == "stem", l.Name == "head":
			f.Buffers += 2 * int64(l.Out.C)
		}
	}
	return f
}
