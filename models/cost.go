package models

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/autonl-go/autonl/lightnl"
)

// This file is the analytic cost model: multiply-adds (MACs) and parameter
// counts of networks described by arch strings, layer by layer, by the
// counting rules of the AutoNL paper's released profiler:
//
//   - convolution: kh·kw·(Cin/groups)·Cout·Hout·Wout MACs; its weights, and
//     its bias if it has one, are parameters;
//   - fully connected: in·out MACs (the bias is a parameter but not a MAC);
//   - global average pooling: H·W·C MACs (in squeeze-excite and in the head);
//   - LightNL: min(A, B) + 9·C·H·W MACs (see package lightnl);
//   - BN, activations, the squeeze-excite gate multiply, dropout and residual
//     adds cost no MACs; BN's γ and β are parameters (running statistics are
//     buffers, not parameters).
//
// Padding is "same": a stride-s layer maps H to ⌈H/s⌉. Activations do not
// enter any count, so networks that differ only in activation (MobileNetV2's
// ReLU6, MnasNet's ReLU, AutoNL's swish) are counted by the same code.

// Shape is the shape C×H×W of one image's feature map.
type Shape struct{ C, H, W int }

// String returns "C×H×W".
func (s Shape) String() string { return fmt.Sprintf("%d×%d×%d", s.C, s.H, s.W) }

// Cost is a count of multiply-adds and parameters.
type Cost struct {
	MACs   int64 // multiply-adds for one image
	Params int64 // trainable parameters, BN γ and β included
}

// Add returns the sum of c and d.
func (c Cost) Add(d Cost) Cost { return Cost{c.MACs + d.MACs, c.Params + d.Params} }

// LayerCost is the cost of one layer of a network: a convolution with the BN
// that follows it, a squeeze-excite unit, a LightNL block, a pooling or a
// classifier.
type LayerCost struct {
	// Name says where the layer is: "stem", "blocks.<i>.<part>" with i the
	// 0-based layer index after [Unroll] and part one of expand, dw, se,
	// project, lightnl; then "head", "pool", "classifier".
	Name string
	// Kind is the layer's type, such as "Conv2d", in profiles of modules
	// (see [Profile]); the analytic count leaves it empty.
	Kind string
	Out  Shape // output shape of the layer for one image
	Cost
}

// NetCost is the cost of a whole network, layer by layer.
type NetCost struct {
	Layers []LayerCost // in forward order
	Total  Cost        // sum over Layers
}

// Prefix returns the summed cost of the layers whose names start with
// prefix: Prefix("blocks.3.") is the cost of the fourth MBConv layer, and
// Prefix("") the total.
func (n NetCost) Prefix(prefix string) Cost {
	var c Cost
	for _, l := range n.Layers {
		if strings.HasPrefix(l.Name, prefix) {
			c = c.Add(l.Cost)
		}
	}
	return c
}

// Table formats the layers and the total as an aligned text table with one
// line per layer, for logs and the command line.
func (n NetCost) Table() string {
	nameWidth, kindWidth := len("total"), 0
	for _, l := range n.Layers {
		nameWidth = max(nameWidth, utf8.RuneCountInString(l.Name))
		kindWidth = max(kindWidth, utf8.RuneCountInString(l.Kind))
	}
	var sb strings.Builder
	row := func(name, kind, out string, macs, params any) {
		fmt.Fprintf(&sb, "%-*s  ", nameWidth, name)
		if kindWidth > 0 {
			fmt.Fprintf(&sb, "%-*s  ", kindWidth, kind)
		}
		fmt.Fprintf(&sb, "%-14s %14v %12v\n", out, macs, params)
	}
	kind := ""
	if kindWidth > 0 {
		kind = "type"
	}
	row("layer", kind, "output", "MACs", "params")
	for _, l := range n.Layers {
		row(l.Name, l.Kind, l.Out.String(), l.MACs, l.Params)
	}
	row("total", "", "", n.Total.MACs, n.Total.Params)
	return sb.String()
}

// NetConfig holds the parts of a network that are not in its block list.
// The stem is a 3×3 convolution (no bias) with BN; the head is a 1×1
// convolution (no bias) with BN, global average pooling and a fully
// connected classifier with bias. Activations and dropout cost nothing and
// are not configured here.
type NetConfig struct {
	InputSize     int // height and width of the input image, ≥ 1 (224 for ImageNet)
	InputChannels int // channels of the input image, ≥ 1 (3)
	StemWidth     int // output channels of the stem conv, ≥ 1 (32); the first block's input width
	StemStride    int // stride of the stem conv, ≥ 1 (2)
	HeadWidth     int // output channels of the head's 1×1 conv (1280); 0 means no head conv
	Classes       int // classifier outputs (1000); 0 means no classifier
}

// ImageNetConfig returns the stem and head of every network of the zoo at
// ImageNet resolution: 224×224×3 input, 3×3 stride-2 stem to 32 channels,
// 1×1 head conv to 1280 channels, 1000 classes.
func ImageNetConfig() NetConfig {
	return NetConfig{InputSize: 224, InputChannels: 3, StemWidth: 32, StemStride: 2, HeadWidth: 1280, Classes: 1000}
}

// Validate reports whether every field of cfg is in range.
func (cfg NetConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{
		{"InputSize", cfg.InputSize, 1},
		{"InputChannels", cfg.InputChannels, 1},
		{"StemWidth", cfg.StemWidth, 1},
		{"StemStride", cfg.StemStride, 1},
		{"HeadWidth", cfg.HeadWidth, 0},
		{"Classes", cfg.Classes, 0},
	} {
		if f.v < f.min {
			return fmt.Errorf("models: NetConfig.%s is %d, want at least %d", f.name, f.v, f.min)
		}
	}
	return nil
}

// HiddenWidth returns the width of the block's expanded tensor,
// round(In·Expand). It equals In when Expand is 1. (All zoo networks have
// integral expansion ratios, for which there is nothing to round.)
func (b BlockSpec) HiddenWidth() int {
	return int(math.Round(float64(b.In) * b.Expand))
}

// HasExpandConv reports whether the block has an expansion 1×1 conv: it has
// one exactly when Expand ≠ 1, as in the released code.
func (b BlockSpec) HasExpandConv() bool { return b.Expand != 1 }

// SEWidth returns the reduced width of the block's squeeze-excite unit,
// max(1, round(In·SE)), where In is the block's input width (not its hidden
// width); 0 if the block has no squeeze-excite. The released TensorFlow code
// truncates, int(In·SE), instead of rounding; the two agree for every zoo
// network, where In·SE is an integer.
func (b BlockSpec) SEWidth() int {
	if !b.HasSE() {
		return 0
	}
	return max(1, int(math.Round(float64(b.In)*b.SE)))
}

// sameOut returns the output length of a "same"-padded layer: ⌈n/stride⌉.
func sameOut(n, stride int) int { return (n + stride - 1) / stride }

// ConvCost returns the output shape and cost of a k×k convolution (k ≥ 1)
// with "same" padding, the given strides (rows, columns), groups dividing
// both in.C and cout, and an optional bias:
//
//	Hout = ⌈H/sh⌉, Wout = ⌈W/sw⌉
//	MACs = k·k·(Cin/groups)·Cout·Hout·Wout
//	params = k·k·(Cin/groups)·Cout (+ Cout with bias)
//
// A depthwise conv has groups = Cin = Cout. The BN that usually follows is
// [BatchNormCost].
func ConvCost(in Shape, cout, k int, strides [2]int, groups int, bias bool) (Shape, Cost) {
	out := Shape{C: cout, H: sameOut(in.H, strides[0]), W: sameOut(in.W, strides[1])}
	weights := int64(k) * int64(k) * int64(in.C/groups) * int64(cout)
	c := Cost{MACs: weights * int64(out.H) * int64(out.W), Params: weights}
	if bias {
		c.Params += int64(cout)
	}
	return out, c
}

// BatchNormCost returns the cost of a BN over c channels: no MACs, 2·c
// parameters (γ and β).
func BatchNormCost(c int) Cost { return Cost{Params: 2 * int64(c)} }

// LinearCost returns the cost of a fully connected layer from in to out
// features: in·out MACs, in·out parameters plus out for the bias.
func LinearCost(in, out int, bias bool) Cost {
	c := Cost{MACs: int64(in) * int64(out), Params: int64(in) * int64(out)}
	if bias {
		c.Params += int64(out)
	}
	return c
}

// GlobalPoolCost returns the cost of global average pooling over x:
// H·W·C MACs, no parameters. Its output shape is C×1×1.
func GlobalPoolCost(x Shape) Cost {
	return Cost{MACs: int64(x.C) * int64(x.H) * int64(x.W)}
}

// SqueezeExciteCost returns the cost of a squeeze-excite unit on x (the
// block's expanded tensor, C = hidden width) with reduced width reduced:
// global average pooling (H·W·C), a 1×1 conv C→reduced with bias and a 1×1
// conv reduced→C with bias, both on a 1×1 map:
//
//	MACs = H·W·C + 2·C·reduced
//	params = 2·C·reduced + reduced + C
//
// The sigmoid gate's multiply is not counted.
func SqueezeExciteCost(x Shape, reduced int) Cost {
	pooled := Shape{C: x.C, H: 1, W: 1}
	_, red := ConvCost(pooled, reduced, 1, [2]int{1, 1}, 1, true)
	_, exp := ConvCost(Shape{C: reduced, H: 1, W: 1}, x.C, 1, [2]int{1, 1}, 1, true)
	return GlobalPoolCost(x).Add(red).Add(exp)
}

// LightNLCost returns the cost of a LightNL block on x with the given
// settings: [lightnl.BlockMACs] and [lightnl.LightNLParams]. It is zero if
// nl.Ratio is 0 (no block).
func LightNLCost(x Shape, nl LightNLSpec) Cost {
	if nl.Ratio == 0 {
		return Cost{}
	}
	return Cost{
		MACs:   lightnl.BlockMACs(x.C, x.H, x.W, nl.Ratio, nl.Stride),
		Params: int64(lightnl.LightNLParams(x.C)),
	}
}

// MBConvLayers returns the cost of one inverted-residual (MBConv) layer b on
// an input of shape in (in.C must be b.In), part by part, each part named
// prefix + part, and the layer's output shape. With hidden width
// Ch = b.HiddenWidth(), output width Co = b.Out and output size
// Ho×Wo = ⌈H/sh⌉×⌈W/sw⌉, the parts are
//
//	expand  1×1 conv Cin→Ch + BN (only if Expand ≠ 1):  MACs Cin·Ch·H·W,    params Cin·Ch + 2·Ch
//	dw      k×k depthwise conv + BN:                   MACs k²·Ch·Ho·Wo,   params k²·Ch + 2·Ch
//	se      squeeze-excite, reduced width R = b.SEWidth() (if SE):
//	                                                   MACs Ho·Wo·Ch + 2·Ch·R, params 2·Ch·R + R + Ch
//	project 1×1 conv Ch→Co + BN:                       MACs Ch·Co·Ho·Wo,   params Ch·Co + 2·Co
//	lightnl LightNL on Co×Ho×Wo (if any):              see [LightNLCost]
//
// The identity skip costs nothing. b.Repeats is ignored: b is counted as one
// layer with b's strides and input width (use [Unroll] for repeats).
func MBConvLayers(prefix string, b BlockSpec, in Shape) ([]LayerCost, Shape) {
	var layers []LayerCost
	add := func(part string, out Shape, c Cost) {
		layers = append(layers, LayerCost{Name: prefix + part, Out: out, Cost: c})
	}
	x := in
	hidden := b.HiddenWidth()
	if b.HasExpandConv() {
		out, c := ConvCost(x, hidden, 1, [2]int{1, 1}, 1, false)
		add("expand", out, c.Add(BatchNormCost(hidden)))
		x = out
	}
	out, c := ConvCost(x, x.C, b.Kernel, b.Strides, x.C, false)
	add("dw", out, c.Add(BatchNormCost(x.C)))
	x = out
	if b.HasSE() {
		add("se", x, SqueezeExciteCost(x, b.SEWidth()))
	}
	out, c = ConvCost(x, b.Out, 1, [2]int{1, 1}, 1, false)
	add("project", out, c.Add(BatchNormCost(b.Out)))
	x = out
	if b.HasNonLocal() {
		add("lightnl", x, LightNLCost(x, b.NonLocal))
	}
	return layers, x
}

// MBConvCost returns the total cost and output shape of one MBConv layer;
// see [MBConvLayers].
func MBConvCost(b BlockSpec, in Shape) (Cost, Shape) {
	layers, out := MBConvLayers("", b, in)
	var c Cost
	for _, l := range layers {
		c = c.Add(l.Cost)
	}
	return c, out
}

// CountArch counts the MACs and parameters of the network made of cfg's
// stem, the MBConv layers of blocks (unrolled with [Unroll]) and cfg's head,
// for one image. The layers, in order and by name, are
//
//	stem             3×3 conv InputChannels→StemWidth, stride StemStride, + BN
//	blocks.<i>.*     the parts of MBConv layer i (see [MBConvLayers])
//	head             1×1 conv →HeadWidth + BN (if HeadWidth > 0)
//	pool             global average pooling
//	classifier       fully connected →Classes with bias (if Classes > 0)
//
// The blocks must pass [CheckArch], the first block's input width must be
// cfg.StemWidth, and every LightNL block must have at least one query
// channel (⌊r·C⌋ ≥ 1); errors are *[ArchError] values naming the block.
// cfg must pass [NetConfig.Validate].
func CountArch(blocks []BlockSpec, cfg NetConfig) (NetCost, error) {
	if err := cfg.Validate(); err != nil {
		return NetCost{}, err
	}
	if err := CheckArch(blocks); err != nil {
		return NetCost{}, err
	}
	if blocks[0].In != cfg.StemWidth {
		return NetCost{}, &ArchError{
			Block: 1, Text: blocks[0].String(), Token: fmt.Sprintf("i%d", blocks[0].In),
			Kind: ErrWidthMismatch,
			Msg:  fmt.Sprintf("input width %d does not match the stem width %d", blocks[0].In, cfg.StemWidth),
		}
	}
	for i, b := range blocks {
		if b.HasNonLocal() && lightnl.ReducedChannels(b.Out, b.NonLocal.Ratio) < 1 {
			return NetCost{}, &ArchError{
				Block: i + 1, Text: b.String(), Token: formatNonLocal(b.NonLocal), Kind: ErrOutOfRange,
				Msg: fmt.Sprintf("LightNL channel ratio %s leaves no query channel at width %d",
					formatNum(b.NonLocal.Ratio), b.Out),
			}
		}
	}

	var n NetCost
	add := func(name string, out Shape, c Cost) {
		n.Layers = append(n.Layers, LayerCost{Name: name, Out: out, Cost: c})
	}
	x := Shape{C: cfg.InputChannels, H: cfg.InputSize, W: cfg.InputSize}
	out, c := ConvCost(x, cfg.StemWidth, 3, [2]int{cfg.StemStride, cfg.StemStride}, 1, false)
	add("stem", out, c.Add(BatchNormCost(cfg.StemWidth)))
	x = out
	for i, l := range Unroll(blocks) {
		var layers []LayerCost
		layers, x = MBConvLayers(fmt.Sprintf("blocks.%d.", i), l, x)
		n.Layers = append(n.Layers, layers...)
	}
	if cfg.HeadWidth > 0 {
		out, c := ConvCost(x, cfg.HeadWidth, 1, [2]int{1, 1}, 1, false)
		add("head", out, c.Add(BatchNormCost(cfg.HeadWidth)))
		x = out
	}
	add("pool", Shape{C: x.C, H: 1, W: 1}, GlobalPoolCost(x))
	if cfg.Classes > 0 {
		add("classifier", Shape{C: cfg.Classes, H: 1, W: 1}, LinearCost(x.C, cfg.Classes, true))
	}
	for _, l := range n.Layers {
		n.Total = n.Total.Add(l.Cost)
	}
	return n, nil
}
